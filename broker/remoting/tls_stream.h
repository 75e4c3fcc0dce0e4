// The TLS stream of one Connection: Asio's ssl::stream over the connection's own socket (by reference, so
// the plain and TLS paths share one socket, one strand and one close). Included only by connection.cc, so
// that the OpenSSL headers stay out of everything that merely uses a Connection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace rmq::remoting {

struct TlsStream {
  TlsStream(boost::asio::ip::tcp::socket& socket, boost::asio::ssl::context& context) : stream(socket, context) {}
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream;
};

}  // namespace rmq::remoting
