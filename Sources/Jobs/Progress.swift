import Foundation

/// A one-line progress bar with rate and ETA on standard error, drawn only when standard
/// error is a terminal (so logs and pipes stay clean). Redraws at most 10 times a second.
public final class ProgressBar {
    let total: Int
    let label: String
    let enabled: Bool
    let start = Date()
    var lastDraw = Date.distantPast
    public private(set) var done = 0

    public init(total: Int, label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.label = label
        self.enabled = enabled
    }

    public func advance(by n: Int = 1) {
        done += n
        guard enabled else { return }
        let now = Date()
        if done < total && now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        FileHandle.standardError.write(Data(render(now: now).utf8))
    }

    /// Clears the bar's line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    func render(now: Date) -> String {
        let elapsed = now.timeIntervalSince(start)
        let frac = total > 0 ? Double(done) / Double(total) : 1
        let width = 28
        let filled = Int(frac * Double(width))
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        return String(format: "\r\u{1B}[K%@ [%@] %d/%d %3.0f%% %.1f/s ETA %@", label, bar, done, total,
                      frac * 100, rate, ProgressBar.clock(eta))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
