#include "cli/app.h"

#include "cli/command.h"
#include "cli/output.h"
#include "schema/compatibility.h"

#include <iostream>
#include <string>
#include <string_view>

namespace examq::cli {

int run(int argc, char** argv) {
  CLI::App app{"examq: a PostgreSQL job queue that turns exam-paper PDFs into questions", "examq"};
  // The schema version is the newest migration built in: what `worker` and `serve` require.
  app.set_version_flag("--version", std::string("examq ") + EXAMQ_VERSION + " (schema version " +
                                        std::to_string(schema::required_version()) + ")");
  app.require_subcommand(1);
  std::vector<Command> commands;
  for (AddCommand add : all_commands()) commands.push_back(add(app));

  // An unknown first word: CLI11 would only say "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      found = found || sub->check_name(argv[1]);
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::cerr << "examq: unknown subcommand '" << printable(argv[1]) << "'; the subcommands are: " << known
                << " (`examq --help` says what each does)\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Like every other error: "examq SUB: message", or the error object when --json was asked for.
    std::string name;
    for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      name += (name.empty() ? "" : " ") + sub->get_name();
    }
    bool json = false;
    for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i) json = json || std::string_view(argv[i]) == "--json";
    return report_usage_error(name, e.what(), json);
  }
  for (const Command& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}

}  // namespace examq::cli
