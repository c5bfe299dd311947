#include "actors/apps/chat_web.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::apps {

namespace {

constexpr size_t max_header = 8 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x))
                  == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

const char* reason(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

} // namespace

expected<web_listen> parse_web_addr(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return make_error(wire_errc::malformed, "--addr: host:port, :port or *:port");
  auto host = text.substr(0, colon);
  auto port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5
      || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return make_error(wire_errc::malformed, "--addr: the port must be a number");
  auto n = std::stoul(std::string{port});
  if (n > 65535)
    return make_error(wire_errc::bad_value, "--addr: port over 65535");
  web_listen out;
  out.port = static_cast<uint16_t>(n);
  if (host.empty())
    out.host = "127.0.0.1";
  else if (host == "*")
    out.host = "";
  else if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    out.host = std::string{host.substr(1, host.size() - 2)};
  else
    out.host = std::string{host};
  return out;
}

frame_status frame_request(std::string_view buf, size_t max_body, size_t& total) {
  auto end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return buf.size() > max_header ? frame_status::refused : frame_status::need_more;
  if (end + 4 > max_header)
    return frame_status::refused;
  size_t body = 0;
  auto head = buf.substr(0, end + 2);
  size_t pos = head.find("\r\n"); // past the request line
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    auto next = head.find("\r\n", pos + 2);
    auto line = head.substr(pos + 2, next - pos - 2);
    pos = next;
    auto c = line.find(':');
    if (c == std::string_view::npos)
      continue;
    auto name = trim(line.substr(0, c));
    auto value = trim(line.substr(c + 1));
    if (iequals(name, "transfer-encoding"))
      return frame_status::refused;
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 9
          || !std::all_of(value.begin(), value.end(), [](char x) { return x >= '0' && x <= '9'; }))
        return frame_status::refused;
      body = std::stoul(std::string{value});
    }
  }
  if (body > max_body)
    return frame_status::refused;
  if (buf.size() < end + 4 + body)
    return frame_status::need_more;
  total = end + 4 + body;
  return frame_status::complete;
}

std::string http_response(unsigned status, std::string_view content_type, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: ";
    out += content_type;
    out += "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

std::string sse_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
         "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n";
}

std::string sse_event(const public_key& sender, std::string_view message) {
  std::string out = "data: {\"message\":";
  wire::json::append_string(out, message);
  out += ",\"sender\":\"";
  out += sender.hex();
  out += "\"}\n\n";
  return out;
}

std::string http_chunk(std::string_view data) {
  char len[20];
  std::snprintf(len, sizeof(len), "%zx\r\n", data.size());
  std::string out = len;
  out += data;
  out += "\r\n";
  return out;
}

expected<chat_post> parse_chat_post(std::string_view body) {
  // the message's JSON escapes may take 6 bytes per byte
  auto v = wire::transport::parse_json(body, 6 * max_chat_message + 1024, 2);
  if (!v)
    return v.error();
  auto o = wire::transport::object_reader::from(*v, "message");
  if (!o)
    return o.error();
  chat_post p;
  if (auto err = o->get_public_key("recipient", p.recipient))
    return err;
  if (auto err = o->get_string("message", p.message, max_chat_message))
    return err;
  if (p.message.empty())
    return o->fail(wire_errc::bad_value, "message", "is empty");
  return p;
}

std::string history_json(const std::deque<chat_entry>& entries) {
  std::string out = "[";
  bool first = true;
  for (const auto& e : entries) {
    if (!first)
      out += ',';
    first = false;
    out += encode_chat_entry(e);
  }
  out += ']';
  return out;
}

std::string_view chat_page() {
  return R"html(<!doctype html>
<html><head><meta charset="utf-8"><title>skychat</title>
<style>body{font-family:sans-serif;max-width:50em;margin:1em auto}#log{border:1px solid #ccc;
height:24em;overflow:auto;padding:.5em;white-space:pre-wrap}input{width:100%;box-sizing:border-box}
.out{color:#555}</style></head>
<body><h1>skychat</h1>
<label>Recipient public key <input id="pk" maxlength="66"></label>
<div id="log"></div>
<form id="f"><input id="msg" placeholder="message" autocomplete="off"></form>
<script>
const log=document.getElementById('log');
function show(cls,who,text){const d=document.createElement('div');d.className=cls;
d.textContent=who.slice(0,8)+'… '+text;log.appendChild(d);log.scrollTop=log.scrollHeight;}
fetch('/history').then(r=>r.json()).then(h=>h.forEach(e=>show(e.dir,e.dir=='in'?e.peer:'me',e.message)));
new EventSource('/sse').onmessage=e=>{const m=JSON.parse(e.data);show('in',m.sender,m.message);};
document.getElementById('f').onsubmit=ev=>{ev.preventDefault();const i=document.getElementById('msg');
const pk=document.getElementById('pk').value.trim();
fetch('/message',{method:'POST',body:JSON.stringify({recipient:pk,message:i.value})})
.then(r=>r.ok?show('out','me',i.value):r.text().then(t=>show('out','error',t))).then(()=>{i.value='';});};
</script></body></html>
)html";
}

} // namespace skywire::apps
