// The whole program is in OctopodsKit; this file only connects it to the process.
import OctopodsKit

// Never returns: the command's task ends the process with its exit code.
Octopods.start(Array(CommandLine.arguments.dropFirst()))
