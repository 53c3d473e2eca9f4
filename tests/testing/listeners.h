// Listening TCP sockets on a port as the kernel lists them
// (/proc/net/tcp, /proc/net/tcp6): a hosted cluster's replicas are server
// instances bound to the same port with SO_REUSEPORT, one socket each.
#ifndef COVE_TESTS_TESTING_LISTENERS_H_
#define COVE_TESTS_TESTING_LISTENERS_H_

#include <fstream>
#include <sstream>
#include <string>

namespace cove::testing {

/// The sockets in state LISTEN on `port` (any address, IPv4 and IPv6).
inline int ListenersOn(int port) {
  int n = 0;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const size_t colon = local.rfind(':');
      if (colon == std::string::npos || state != "0A") continue;  // LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) ++n;
    }
  }
  return n;
}

}  // namespace cove::testing

#endif  // COVE_TESTS_TESTING_LISTENERS_H_
