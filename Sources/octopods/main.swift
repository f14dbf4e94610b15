// The whole program is in OctopodsKit; this file only connects it to the process.
#if canImport(Glibc)
import Glibc
#endif
import OctopodsKit

let status = await Octopods.main(Array(CommandLine.arguments.dropFirst()))
// Everything was written with write(2) (no stdio buffer to flush) and every file octopods keeps
// was written and closed before main returned: `_exit` leaves out the atexit handlers and
// library destructors, which here only free memory (OpenSSL's cleanup after a request: 0.7 M
// instructions; docs/linux-notes.md, "Start-up costs").
_exit(status)
