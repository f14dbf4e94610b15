// The whole program is in OctopodsKit; this file only connects it to the process.
#if canImport(Glibc)
import Glibc
#endif
import OctopodsKit

let status = await Octopods.main(Array(CommandLine.arguments.dropFirst()))
exit(status)
