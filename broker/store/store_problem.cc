#include "broker/store/store_problem.h"

#include <cstring>

namespace rmq::store {

bool StoreProblem::is_corruption() const {
  return kind != problem_kind::kStrayFile && kind != problem_kind::kTornTail;
}

}  // namespace rmq::store
