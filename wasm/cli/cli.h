// Shared by the CLI's command files (main.cc, revoke_cmd.cc): how a command
// reports a usage error (docs/CLI.md, "Conventions").
#ifndef MEDIAGATE_CLI_H
#define MEDIAGATE_CLI_H

#include <string_view>

namespace mgcli {

// Writes "mediagate CMD: WHAT" and CMD's usage to stderr; returns 2, the
// exit status of every usage error.
int usage_error(std::string_view cmd, std::string_view what);

}  // namespace mgcli

#endif
