// Fuzz target: arbitrary bytes into the visor config loader. Properties:
// never crashes; a refusal is a config error value with a non-empty message;
// an accepted config has pk == public key of sk, and regenerating a file with
// the accepted keys loads again with the same keys.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto cfg = config::load_json(text);
  if (!cfg) {
    if (cfg.error().category() != config::config_category())
      std::abort();
    if (config::message(cfg.error()).empty())
      std::abort();
    return 0;
  }
  auto pk = crypto::derive_public_key(cfg->sk);
  if (!pk || *pk != cfg->pk)
    std::abort();
  config::gen_options o;
  o.sk = cfg->sk;
  auto gen = config::generate(o);
  if (!gen)
    std::abort();
  auto back = config::load_json(config::to_pretty_json(*gen));
  if (!back || back->pk != cfg->pk)
    std::abort();
  return 0;
}
