// A request body the name server cannot use (bad JSON, truncated compressed stream, wrong field types).
// The message is one line naming the body and the field or offset; the request is answered SYSTEM_ERROR
// with it, as Java answers an exception from a processor, and the connection stays open.
#pragma once

#include <stdexcept>

namespace rmq::namesrv {

class BodyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rmq::namesrv
