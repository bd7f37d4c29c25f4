#pragma once
// Each subcommand of the `radial` tool registers itself on the app; its callback does the work and
// throws radial::ArgumentError for bad input, which main() turns into one line and a non-zero exit.
#include <CLI/CLI.hpp>

namespace radial::cli {

void register_mask_command(CLI::App& app);
void register_demo_command(CLI::App& app);
void register_bench_command(CLI::App& app);

}  // namespace radial::cli
