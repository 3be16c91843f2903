// The separately compiled implementation of Asio, Asio SSL and Beast, built once.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
