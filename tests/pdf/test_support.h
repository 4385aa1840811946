#pragma once

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "pdf/render_options.h"

namespace examq::pdf::testing {

// Options pointing at the helper this build made (the test binary does not live next to it).
inline RenderOptions test_options() {
  RenderOptions options;
  options.sandbox.helper_path = EXAMQ_RENDER_HELPER_PATH;
  return options;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The processes whose parent is this test process (render children while a call runs).
inline std::vector<pid_t> child_pids() {
  std::vector<pid_t> pids;
  const std::string me = std::to_string(getpid());
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  closedir(proc);
  return pids;
}

// Processes whose parent is this test process: what a render call must leave none of
// (-1 when /proc cannot be read).
inline int live_children() {
  if (access("/proc/self/stat", R_OK) != 0) return -1;
  return static_cast<int>(child_pids().size());
}

}  // namespace examq::pdf::testing
