#include "actors/apps/chat_history.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/value.hpp>

#include <caf/sec.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"
#include "runtime/config/file_update.hpp"

namespace skywire::apps {

namespace {

constexpr size_t max_line = 256 * 1024; // a 32 KiB message escaped as \uXXXX fits

/// Cuts `s` to at most n bytes without splitting a UTF-8 sequence.
void cut_utf8(std::string& s, size_t n) {
  if (s.size() <= n)
    return;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  s.resize(n);
}

} // namespace

std::string encode_chat_entry(const chat_entry& e) {
  std::string out = "{\"time\":";
  wire::json::append_int(out, e.time_ms);
  out += ",\"peer\":\"";
  out += e.peer.hex();
  out += "\",\"dir\":\"";
  out += e.incoming ? "in" : "out";
  out += "\",\"message\":";
  wire::json::append_string(out, e.message);
  out += '}';
  return out;
}

expected<chat_entry> decode_chat_entry(std::string_view line) {
  auto v = wire::transport::parse_json(line, max_line, 2);
  if (!v)
    return v.error();
  auto o = wire::transport::object_reader::from(*v, "chat history line");
  if (!o)
    return o.error();
  chat_entry e;
  std::string dir;
  if (auto err = o->get_int("time", e.time_ms))
    return err;
  if (auto err = o->get_public_key("peer", e.peer))
    return err;
  if (auto err = o->get_string("dir", dir, 3))
    return err;
  if (dir != "in" && dir != "out")
    return o->fail(wire_errc::bad_value, "dir", "must be \"in\" or \"out\"");
  e.incoming = dir == "in";
  if (auto err = o->get_string("message", e.message, max_line))
    return err;
  return e;
}

chat_history::chat_history(std::filesystem::path file, limits l)
  : file_(std::move(file)), lim_(l) {}

caf::error chat_history::load() {
  entries_.clear();
  skipped_ = 0;
  file_bytes_ = 0;
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(file_, ec))
      return {};
    return caf::make_error(caf::sec::runtime_error, file_.string() + ": cannot be read");
  }
  in.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0));
  // an oversized file: only its tail (the first, partial line skipped)
  size_t from = size > lim_.max_file_bytes ? size - lim_.max_file_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string line;
  bool first = from > 0;
  while (std::getline(in, line)) {
    if (first) {
      first = false;
      continue;
    }
    if (line.empty())
      continue;
    auto e = line.size() > max_line ? expected<chat_entry>{caf::make_error(caf::sec::invalid_argument)}
                                    : decode_chat_entry(line);
    if (!e) {
      ++skipped_;
      continue;
    }
    entries_.push_back(std::move(*e));
    if (entries_.size() > lim_.max_entries)
      entries_.pop_front();
  }
  file_bytes_ = size;
  // too big, or torn lines: rewrite it clean now
  if (size > lim_.max_file_bytes || skipped_ > 0)
    return compact();
  return {};
}

caf::error chat_history::append(chat_entry e) {
  cut_utf8(e.message, lim_.max_message);
  auto line = encode_chat_entry(e) + '\n';
  entries_.push_back(std::move(e));
  if (entries_.size() > lim_.max_entries)
    entries_.pop_front();
  if (file_bytes_ + line.size() > lim_.max_file_bytes)
    return compact();
  int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return caf::make_error(caf::sec::runtime_error,
                           file_.string() + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < line.size()) {
    auto n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      auto err = caf::make_error(caf::sec::runtime_error,
                                 file_.string() + ": " + std::strerror(errno));
      ::close(fd);
      return err;
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  file_bytes_ += line.size();
  return {};
}

caf::error chat_history::compact() {
  // the newest entries that fit in half the bound (so appends go on a while)
  std::vector<std::string> lines;
  size_t total = 0;
  for (auto i = entries_.rbegin(); i != entries_.rend(); ++i) {
    auto l = encode_chat_entry(*i) + '\n';
    if (total + l.size() > lim_.max_file_bytes / 2)
      break;
    total += l.size();
    lines.push_back(std::move(l));
  }
  while (entries_.size() > lines.size())
    entries_.pop_front();
  std::string text;
  text.reserve(total);
  for (auto i = lines.rbegin(); i != lines.rend(); ++i)
    text += *i;
  if (auto err = config::write_file_atomically(file_.string(), text, 0600, false))
    return err;
  file_bytes_ = text.size();
  return {};
}

} // namespace skywire::apps
