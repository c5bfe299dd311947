#include "runtime/system/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/sec.hpp>

namespace skywire::system {

caf::error write_file_atomically(const std::filesystem::path& path, std::string_view text,
                                 mode_t mode) {
  auto fail = [](const std::string& what) {
    return caf::make_error(caf::sec::runtime_error, what + ": " + std::strerror(errno));
  };
  auto tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return fail(tmp);
  ::fchmod(fd, mode);
  size_t off = 0;
  while (off < text.size()) {
    auto n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto err = fail(tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    auto err = fail(tmp);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = fail(path.string());
    ::unlink(tmp.c_str());
    return err;
  }
  return {};
}

} // namespace skywire::system
