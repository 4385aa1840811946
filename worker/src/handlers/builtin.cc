#include "handlers/noop.h"
#include "handlers/registry.h"

namespace examq::handlers {

void register_builtin_handlers(Registry& registry) {
  registry.add("noop", std::make_unique<NoopHandler>());
}

}  // namespace examq::handlers
