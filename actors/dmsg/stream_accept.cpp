#include "actors/dmsg/stream_accept.hpp"

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/objects.hpp"
#include "runtime/crypto/noise/handshake.hpp"

namespace skywire::dmsg {

namespace nz = crypto::noise;
namespace wd = wire::dmsg;

stream_core::accept_outcome respond_to_request(stream_core& core, client_shared& client) {
  stream_core::accept_outcome out;
  out.ran = true;
  auto plain = core.open_object();
  if (!plain) {
    core.reset();
    out.err = plain.error();
    return out;
  }
  // The signature is verified once the response is on its way (off the
  // open's critical path): the Noise KK message 1 read below already proves
  // the dialer holds SrcAddr.PK's key, and a request that fails the check is
  // reset before anything reaches the listener.
  request_checks checks;
  checks.expect_dst = client.pk;
  checks.signature = false;
  auto req = verify_stream_request(*plain, checks);
  if (!req) {
    // The reference drops invalid requests by closing the stream.
    core.reset();
    out.err = req.error();
    return out;
  }
  out.local = req->req.dst;
  out.remote = req->req.src;
  auto reply = [&](wd::stream_response resp) -> caf::error {
    auto sresp = make_stream_response(resp, client.sk);
    return core.send_object(sresp.bytes, false);
  };
  auto listener = client.ports.listener(out.local.prt.value);
  if (!listener) {
    if (auto sig = verify_request_signature(*plain, out.remote.pk)) {
      core.reset();
      out.err = std::move(sig);
      return out;
    }
    // Answer at once, so the dialer fails fast instead of waiting 20 s.
    wd::stream_response resp;
    resp.req_hash = req->hash;
    resp.accepted = false;
    resp.err_code = static_cast<uint16_t>(dmsg_errc::req_no_listener);
    reply(std::move(resp));
    core.send_fin();
    core.mark_done();
    return out; // refused, nothing to report
  }
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::kk;
  hc.side = nz::role::responder;
  hc.local = crypto::keypair{client.pk, client.sk};
  hc.remote = out.remote.pk;
  auto hs = nz::handshake::make(std::move(hc));
  caf::error err;
  std::vector<uint8_t> msg2;
  if (!hs) {
    err = hs.error();
  } else if (auto e1 = hs->read_message(req->req.noise_msg)) {
    err = e1;
  } else if (auto m2 = hs->write_message(); !m2) {
    err = m2.error();
  } else {
    msg2 = std::move(*m2);
  }
  expected<nz::session> keys = err ? expected<nz::session>{err} : hs->split();
  if (!keys) {
    core.reset();
    out.err = make_error(client_errc::protocol, "noise KK: " + describe(keys.error()));
    return out;
  }
  wd::stream_response resp;
  resp.req_hash = req->hash;
  resp.accepted = true;
  resp.noise_msg = std::move(msg2);
  if (auto e2 = reply(std::move(resp))) {
    core.mark_done();
    out.err = std::move(e2);
    return out;
  }
  if (auto sig = verify_request_signature(*plain, out.remote.pk)) {
    core.reset();
    out.err = std::move(sig);
    return out;
  }
  // Data stays in the core until the listener (or whom it hands the stream
  // to) sets the owner: a peer that writes right after the handshake would
  // otherwise reach the listener instead of the actor serving the stream.
  core.set_owner(listener, true);
  out.accepted = true;
  out.listener = std::move(listener);
  out.err = core.establish(std::move(*keys));
  return out;
}

} // namespace skywire::dmsg
