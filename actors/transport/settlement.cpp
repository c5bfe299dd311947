#include "actors/transport/settlement.hpp"

#include <algorithm>

#include "actors/transport/errors.hpp"
#include "runtime/crypto/transport_id.hpp"

namespace skywire::transport {

namespace wt = wire::transport;

expected<settlement> settlement::make(config cfg) {
  if (!wt::valid_type_name(cfg.type))
    return make_error(transport_errc::invalid_argument,
                      "settlement: invalid transport type \"" + cfg.type + "\"");
  if (!crypto::is_valid(cfg.remote) || cfg.remote == cfg.local.pk)
    return make_error(transport_errc::invalid_argument,
                      "settlement: the remote key must be a valid key other than ours");
  settlement s;
  s.key_ = cfg.local;
  s.remote_ = cfg.remote;
  // both ends compute the same entry; the label sent is always "user"
  s.entry_.entry = crypto::make_transport_entry(cfg.local.pk, cfg.remote, cfg.type,
                                                wt::transport_label::user);
  s.st_ = cfg.initiator ? state::wait_status : state::wait_entry;
  if (cfg.initiator) {
    auto bin = s.entry_.entry.to_binary();
    if (auto err = s.entry_.set_signature(cfg.local.pk, crypto::sign(bin, cfg.local.sk)))
      return make_error(transport_errc::invalid_argument, describe(err));
  }
  return s;
}

void settlement::start(byte_buffer& out) {
  if (st_ != state::wait_status)
    return;
  auto line = wt::encode_settlement_message(entry_);
  out.insert(out.end(), line.begin(), line.end());
}

const char* settlement::waiting_for() const noexcept {
  switch (st_) {
    case state::wait_entry: return "the settlement entry";
    case state::wait_decision: return "the registration of the entry";
    case state::wait_status: return "the settlement status byte";
    case state::done: return "nothing";
    case state::failed: return "nothing (failed)";
  }
  return "?";
}

step settlement::fail(caf::error err, byte_buffer* out, wt::settlement_status status) {
  st_ = state::failed;
  err_ = std::move(err);
  line_.clear();
  if (out)
    out->push_back(static_cast<uint8_t>(status));
  return step::failed;
}

step settlement::feed(byte_span in, byte_buffer& out, size_t& consumed) {
  consumed = 0;
  switch (st_) {
    case state::failed:
      return step::failed;
    case state::done:
      return step::done;
    case state::wait_decision:
      if (in.empty())
        return step::decide;
      return fail(make_error(transport_errc::protocol,
                             "bytes out of turn after the settlement entry"),
                  &out);
    case state::wait_status: {
      if (in.empty())
        return step::need_more;
      consumed = 1;
      auto st = wt::decode_settlement_status(in.first(1));
      if (!st)
        return fail(make_error(transport_errc::settlement_failed,
                               "invalid remote response (status byte "
                                 + std::to_string(in[0]) + ")"));
      switch (*st) {
        case wt::settlement_status::ok:
          st_ = state::done;
          return step::done;
        case wt::settlement_status::rejected:
          return fail(make_error(transport_errc::settlement_failed,
                                 "transport settlement rejected by remote"));
        case wt::settlement_status::signature_error:
          return fail(make_error(transport_errc::settlement_failed,
                                 "the peer reported a signature error"));
        case wt::settlement_status::invalid_entry:
          return fail(make_error(transport_errc::settlement_failed,
                                 "the peer found our entry invalid"));
      }
      return step::failed;
    }
    case state::wait_entry:
      break;
  }
  if (in.empty())
    return step::need_more;
  auto nl = std::find(in.begin(), in.end(), uint8_t{'\n'});
  size_t upto = static_cast<size_t>(nl - in.begin()) + (nl == in.end() ? 0 : 1);
  if (line_.size() + upto > wt::max_signed_entry_json
      || (nl == in.end() && line_.size() + upto >= wt::max_signed_entry_json))
    return fail(make_error(transport_errc::protocol,
                           "settlement entry exceeds "
                             + std::to_string(wt::max_signed_entry_json)
                             + " bytes without ending (oversized or garbage)"),
                &out);
  line_.append(in.begin(), in.begin() + static_cast<ptrdiff_t>(upto));
  consumed = upto;
  if (nl == in.end())
    return step::need_more;
  if (upto < in.size())
    return fail(make_error(transport_errc::protocol,
                           "bytes out of turn after the settlement entry"),
                &out);
  return on_entry_line(std::exchange(line_, {}), out);
}

step settlement::on_entry_line(const std::string& line, byte_buffer& out) {
  auto got = wt::decode_settlement_message(line);
  if (!got)
    return fail(make_error(transport_errc::protocol,
                           "settlement entry: " + describe(got.error())),
                &out);
  if (auto err = wt::check_settlement_entry(got->entry, entry_.entry))
    return fail(make_error(transport_errc::settlement_failed,
                           "the initiator's entry differs from ours: " + describe(err)),
                &out);
  auto bin = got->entry.to_binary();
  auto sig = got->signature_of(remote_);
  if (auto err = crypto::verify(bin, remote_, sig))
    return fail(make_error(transport_errc::bad_signature,
                           "settlement entry signature by " + remote_.hex() + ": "
                             + describe(err)),
                &out);
  // as the reference: the received entry (its label included) gets our signature
  if (auto err = got->set_signature(key_.pk, crypto::sign(bin, key_.sk)))
    return fail(make_error(transport_errc::settlement_failed, describe(err)), &out,
                wt::settlement_status::signature_error);
  entry_ = std::move(*got);
  st_ = state::wait_decision;
  return step::decide;
}

step settlement::decide(bool accept, byte_buffer& out) {
  if (st_ != state::wait_decision)
    return st_ == state::done ? step::done : step::failed;
  if (!accept)
    return fail(make_error(transport_errc::settlement_failed,
                           "we refused the settlement (status 0 sent)"),
                &out, wt::settlement_status::rejected);
  out.push_back(static_cast<uint8_t>(wt::settlement_status::ok));
  st_ = state::done;
  return step::done;
}

} // namespace skywire::transport
