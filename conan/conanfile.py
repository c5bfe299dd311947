# Conan 2 recipe for people who build skywire-cpp with Conan instead of Debian's packages.
#
# CAF: the code targets CAF 0.17.6 (Debian 12's libcaf-dev). conan-center only offers
# CAF 0.18.6 and later, whose inspect(), atom and config-key APIs differ, so the
# recipe below does NOT pull CAF from conan-center: point CMake at a CAF 0.17.6 build
# (e.g. `-DCAF_ROOT=/opt/caf-0.17.6`, or Debian's libcaf-dev), which cmake/FindCAF.cmake
# finds. Everything else comes from conan-center at the versions Debian 12 ships.
from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class SkywireCpp(ConanFile):
    name = "skywire-cpp"
    version = "0.1.0"
    settings = "os", "arch", "compiler", "build_type"
    options = {"sanitize": ["", "address,undefined"]}
    default_options = {"sanitize": "", "boost/*:header_only": False}

    def requirements(self):
        self.requires("boost/1.81.0")        # json, program_options, asio, beast
        self.requires("libsodium/1.0.18")
        self.requires("libsecp256k1/0.2.0")  # needs the recovery and ecdh modules
        self.test_requires("doctest/2.4.9")

    def layout(self):
        cmake_layout(self)

    def generate(self):
        CMakeDeps(self).generate()
        tc = CMakeToolchain(self)
        tc.variables["SKYWIRE_SANITIZE"] = str(self.options.sanitize)
        tc.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()
        cmake.test()
