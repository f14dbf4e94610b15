import Foundation
import Synchronization
import CLISupport

/// One JSON object per line on stdout; each line is written whole.
final class OutputLines: Sendable {
    let sink: any TextSink
    let lock = Mutex(())
    init(_ sink: any TextSink) { self.sink = sink }
    func write(_ json: JSONValue) {
        let text = json.serialized() + "\n"
        lock.withLock { _ in sink.write(text) }
    }
}
