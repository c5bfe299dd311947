// placeholder translation unit until the first actor lands
namespace skywire::actors {}
