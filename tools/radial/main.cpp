#include <exception>
#include <iostream>

#include "commands.hpp"
#include "radial/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"radial: block-sparse Radial Attention for video diffusion transformers"};
  app.require_subcommand(1);
  radial::cli::register_mask_command(app);
  radial::cli::register_demo_command(app);
  radial::cli::register_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const radial::ArgumentError& e) {
    std::cerr << "radial: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "radial: failed: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
