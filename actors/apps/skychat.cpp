#include "actors/apps/skychat.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/apps/chat_history.hpp"
#include "actors/apps/chat_web.hpp"
#include "runtime/http/parse.hpp"
#include "runtime/io/tcp_listener.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::io::stream_connection_ptr)

namespace skywire::apps {

namespace {

constexpr const char* component = "skychat";
constexpr size_t max_web_connections = 64;
constexpr size_t max_waiting_per_peer = 64;
constexpr size_t max_request_body = 6 * max_chat_message + 1024;

using web_accept_atom = caf::atom_constant<caf::atom("cw_accept")>;
using web_data_atom = caf::atom_constant<caf::atom("cw_data")>;
using web_closed_atom = caf::atom_constant<caf::atom("cw_closed")>;
using web_sent_atom = caf::atom_constant<caf::atom("cw_sent")>;

struct web_conn {
  io::stream_connection_ptr conn;
  std::string buf;
  bool sse = false;
  bool answered = false;
};

/// A POST /message waiting for its route or its write.
struct outgoing {
  std::string message;
  uint64_t web = 0; ///< the connection to answer
};

struct chat_state {
  app_context ctx;
  std::unique_ptr<chat_history> history;
  io::tcp_listener_ptr listener;
  std::unordered_map<uint64_t, web_conn> web;
  uint64_t next_web = 1;
  std::map<public_key, api::route_group_actor> routes;
  std::unordered_map<caf::actor_addr, public_key> peers;
  std::map<public_key, std::deque<outgoing>> dialing;
  static inline const char* name = "skychat";
};

using chat_actor = caf::stateful_actor<chat_state>;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void answer(chat_actor* self, uint64_t id, unsigned status, std::string_view type,
            std::string_view body) {
  auto i = self->state.web.find(id);
  if (i == self->state.web.end() || i->second.answered)
    return;
  i->second.answered = true;
  auto text = http_response(status, type, body);
  auto& c = i->second.conn;
  // close once the kernel has every byte (close() does not wait for the queue)
  if (!c->write(io::byte_buffer(text.begin(), text.end())) || c->queued_bytes() == 0)
    c->close();
}

void record(chat_actor* self, const public_key& peer, bool incoming, std::string message) {
  chat_entry e{now_ms(), peer, incoming, std::move(message)};
  if (auto err = self->state.history->append(std::move(e)))
    SKYWIRE_LOG(warn, component, "history not written", log::kv("error", describe(err)));
}

void forget_route(chat_actor* self, const caf::actor_addr& g) {
  auto i = self->state.peers.find(g);
  if (i == self->state.peers.end())
    return;
  auto r = self->state.routes.find(i->second);
  if (r != self->state.routes.end() && r->second.address() == g)
    self->state.routes.erase(r);
  self->state.peers.erase(i);
}

void adopt_route(chat_actor* self, api::route_group_actor g, const public_key& peer) {
  self->monitor(g);
  self->state.peers[g.address()] = peer;
  self->state.routes[peer] = g; // the newest route to a peer serves our messages
}

void write_message(chat_actor* self, const public_key& peer, outgoing out) {
  auto r = self->state.routes.find(peer);
  if (r == self->state.routes.end())
    return answer(self, out.web, 400, "text/plain; charset=utf-8", "no route to the peer\n");
  auto g = r->second;
  api::byte_buffer bytes(out.message.begin(), out.message.end());
  self->request(g, std::chrono::seconds(10), api::write_atom::value, std::move(bytes))
    .then(
      [self, peer, out](api::ok_atom) mutable {
        record(self, peer, false, std::move(out.message));
        answer(self, out.web, 200, "", "");
      },
      [self, g, out](caf::error& err) {
        // as the reference: the route is dropped, the next message dials anew
        forget_route(self, g.address());
        self->send(g, api::close_atom::value);
        answer(self, out.web, 400, "text/plain; charset=utf-8", describe(err) + "\n");
      });
}

void post_message(chat_actor* self, uint64_t web, const http::request& req) {
  auto p = parse_chat_post(req.body);
  if (!p)
    return answer(self, web, 400, "text/plain; charset=utf-8", describe(p.error()) + "\n");
  auto& st = self->state;
  if (st.routes.count(p->recipient))
    return write_message(self, p->recipient, outgoing{std::move(p->message), web});
  auto& waiting = st.dialing[p->recipient];
  if (waiting.size() >= max_waiting_per_peer)
    return answer(self, web, 503, "text/plain; charset=utf-8",
                  "too many messages wait for this peer's route\n");
  bool first = waiting.empty();
  waiting.push_back(outgoing{std::move(p->message), web});
  if (!first)
    return;
  api::route_dial d;
  d.remote = p->recipient;
  d.remote_port = chat_port;
  auto peer = p->recipient;
  self->request(st.ctx.routes, caf::infinite, api::rt_dial_atom::value, d)
    .then(
      [self, peer](api::route_group_actor& g) {
        adopt_route(self, g, peer);
        auto waiting = std::move(self->state.dialing[peer]);
        self->state.dialing.erase(peer);
        for (auto& o : waiting)
          write_message(self, peer, std::move(o));
      },
      [self, peer](caf::error& err) {
        auto waiting = std::move(self->state.dialing[peer]);
        self->state.dialing.erase(peer);
        auto text = describe(err) + "\n";
        for (auto& o : waiting)
          answer(self, o.web, 400, "text/plain; charset=utf-8", text);
      });
}

void on_request(chat_actor* self, uint64_t id, const http::request& req) {
  using http::verb;
  if (req.path == "/" || req.path == "/index.html") {
    if (req.method != verb::get && req.method != verb::head)
      return answer(self, id, 405, "text/plain", "method not allowed\n");
    return answer(self, id, 200, "text/html; charset=utf-8", chat_page());
  }
  if (req.path == "/message") {
    if (req.method != verb::post)
      return answer(self, id, 405, "text/plain", "method not allowed\n");
    return post_message(self, id, req);
  }
  if (req.path == "/history") {
    if (req.method != verb::get)
      return answer(self, id, 405, "text/plain", "method not allowed\n");
    return answer(self, id, 200, "application/json", history_json(self->state.history->entries()));
  }
  if (req.path == "/sse") {
    if (req.method != verb::get)
      return answer(self, id, 405, "text/plain", "method not allowed\n");
    auto& w = self->state.web.at(id);
    w.sse = true;
    w.answered = true;
    auto head = sse_head();
    w.conn->write(io::byte_buffer(head.begin(), head.end()));
    return;
  }
  answer(self, id, 404, "text/plain", "404 page not found\n");
}

void on_web_data(chat_actor* self, uint64_t id, io::byte_buffer& bytes) {
  auto i = self->state.web.find(id);
  if (i == self->state.web.end())
    return;
  auto& w = i->second;
  if (w.answered || w.sse)
    return; // one request per connection; an SSE client has nothing more to say
  w.buf.append(bytes.begin(), bytes.end());
  size_t total = 0;
  switch (frame_request(w.buf, max_request_body, total)) {
    case frame_status::need_more: return;
    case frame_status::refused:
      return answer(self, id, 400, "text/plain", "request refused (too large or chunked)\n");
    case frame_status::complete: break;
  }
  http::parse_limits lim;
  lim.body_limit = max_request_body;
  http::parse_failure why;
  auto req = http::parse_request(std::string_view{w.buf}.substr(0, total), lim, nullptr, &why);
  if (!req)
    return answer(self, id, why.status, "text/plain", why.reason + "\n");
  on_request(self, id, *req);
}

void broadcast(chat_actor* self, const public_key& sender, std::string_view message) {
  auto chunk = http_chunk(sse_event(sender, message));
  for (auto& [id, w] : self->state.web) {
    if (!w.sse)
      continue;
    // a subscriber that does not read is cut off (its queue is bounded)
    if (!w.conn->write(io::byte_buffer(chunk.begin(), chunk.end())))
      w.conn->close();
  }
}

caf::behavior chat(chat_actor* self, app_context ctx, web_listen addr) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  system::install_exception_handler(self, component);
  if (!st.ctx.routes) {
    auto why = std::string{"the visor runs no routes (its config has no dmsg section)"};
    if (st.ctx.launcher)
      self->send(st.ctx.launcher, api::app_error_atom::value, why);
    self->quit(caf::make_error(caf::sec::runtime_error, why));
    return {};
  }
  st.history = std::make_unique<chat_history>(st.ctx.work_dir / "history.jsonl");
  if (auto err = st.history->load())
    SKYWIRE_LOG(warn, component, "history unreadable", log::kv("error", describe(err)));
  else if (st.history->skipped() > 0)
    SKYWIRE_LOG(warn, component, "history lines skipped",
                log::kv("file", st.history->file().string()),
                log::kv("skipped", st.history->skipped()));
  auto me = caf::actor_cast<caf::actor>(self);
  auto l = io::tcp_listener::start(*st.ctx.io, addr.host, addr.port,
                                   [me](io::stream_connection_ptr c) {
                                     caf::anon_send(me, web_accept_atom::value, std::move(c));
                                   });
  if (!l) {
    auto err = caf::make_error(caf::sec::runtime_error,
                               "skychat: cannot listen on " + addr.host + ":"
                                 + std::to_string(addr.port) + ": " + describe(l.error()));
    if (st.ctx.launcher)
      self->send(st.ctx.launcher, api::app_error_atom::value, describe(err));
    self->quit(err);
    return {};
  }
  st.listener = *l;
  SKYWIRE_LOG(info, component, "serving HTTP",
              log::kv("addr", (addr.host.empty() ? "*" : addr.host) + ":"
                                + std::to_string(st.listener->port())));
  self->attach_functor([self] {
    if (self->state.listener)
      self->state.listener->stop();
    for (auto& [id, w] : self->state.web)
      w.conn->close();
    for (auto& [pk, g] : self->state.routes)
      caf::anon_send(g, api::close_atom::value);
  });
  auto port = st.ctx.routing_port.value != 0 ? st.ctx.routing_port.value : chat_port;
  self->request(st.ctx.routes, std::chrono::seconds(10), api::rt_listen_atom::value, port, me)
    .then(
      [self](api::ok_atom) {
        if (self->state.ctx.launcher)
          self->send(self->state.ctx.launcher, api::app_status_atom::value, std::string{"Running"});
      },
      [self](caf::error& err) {
        if (self->state.ctx.launcher)
          self->send(self->state.ctx.launcher, api::app_error_atom::value, describe(err));
        self->quit(err);
      });
  self->set_down_handler([self](caf::down_msg& dm) { forget_route(self, dm.source); });
  return {
    [self](web_accept_atom, io::stream_connection_ptr& c) {
      auto& st = self->state;
      if (st.web.size() >= max_web_connections) {
        c->close();
        return;
      }
      auto id = st.next_web++;
      st.web[id] = web_conn{c, {}, false, false};
      auto me = caf::actor_cast<caf::actor>(self);
      io::stream_connection::callbacks cbs;
      cbs.on_data = [me, id](io::byte_buffer&& b) {
        caf::anon_send(me, web_data_atom::value, id, std::move(b));
      };
      cbs.on_sent = [me, id](size_t) { caf::anon_send(me, web_sent_atom::value, id); };
      cbs.on_closed = [me, id](const boost::system::error_code&) {
        caf::anon_send(me, web_closed_atom::value, id);
      };
      c->set_max_queued(1u << 20);
      c->start(std::move(cbs), 64 * 1024);
    },
    [self](web_data_atom, uint64_t id, io::byte_buffer& b) { on_web_data(self, id, b); },
    [self](web_closed_atom, uint64_t id) { self->state.web.erase(id); },
    [self](web_sent_atom, uint64_t id) {
      auto i = self->state.web.find(id);
      if (i != self->state.web.end() && i->second.answered && !i->second.sse
          && i->second.conn->queued_bytes() == 0)
        i->second.conn->close();
    },
    [self](api::rt_accept_atom, api::route_group_actor& g, const public_key& remote, uint16_t) {
      SKYWIRE_LOG(debug, component, "route accepted", log::kv("from", remote.hex()));
      adopt_route(self, g, remote);
    },
    [self](api::data_atom, api::byte_buffer& bytes) {
      auto group = caf::actor_cast<api::route_group_actor>(self->current_sender());
      auto n = static_cast<uint32_t>(bytes.size());
      auto i = self->state.peers.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (i != self->state.peers.end()) {
        std::string text(bytes.begin(), bytes.end());
        broadcast(self, i->second, text);
        record(self, i->second, true, std::move(text));
      }
      self->send(group, api::consumed_atom::value, n);
    },
    [self](api::closed_atom, const caf::error& err) {
      if (err)
        SKYWIRE_LOG(debug, component, "route ended", log::kv("error", describe(err)));
      forget_route(self, caf::actor_cast<caf::actor_addr>(self->current_sender()));
    },
  };
}

} // namespace

expected<caf::actor> spawn_skychat(const app_context& ctx) {
  if (!ctx.sys || !ctx.io)
    return caf::make_error(caf::sec::invalid_argument, "skychat needs the visor's runtime");
  std::string addr = ":8001";
  for (size_t i = 0; i < ctx.args.size(); ++i) {
    const auto& a = ctx.args[i];
    if ((a == "--addr" || a == "-addr") && i + 1 < ctx.args.size())
      addr = ctx.args[++i];
    else if (a.rfind("--addr=", 0) == 0)
      addr = a.substr(7);
    else if (a.rfind("-addr=", 0) == 0)
      addr = a.substr(6);
    else
      return caf::make_error(caf::sec::invalid_argument, "skychat: unknown argument " + a);
  }
  auto l = parse_web_addr(addr);
  if (!l)
    return l.error();
  std::error_code ec;
  std::filesystem::create_directories(ctx.work_dir, ec);
  return ctx.sys->spawn(chat, ctx, *l);
}

} // namespace skywire::apps
