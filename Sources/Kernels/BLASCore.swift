import COpenBLAS
import Foundation

/// Which OpenBLAS kernels run, and which the CPU could run.
///
/// OpenBLAS picks its kernels once, when the library loads, from what it recognises of the CPU.
/// A CPU model it does not know (a virtual machine's "Intel Xeon Processor") falls back to its
/// oldest kernels: measured here, an AVX-512 machine ran SSE3 "Prescott" code and MobileNetV2
/// classification went from 95 to 44 images/s. `suggestion` names the kernel set the CPU's
/// own flags allow, for the program to request (`OPENBLAS_CORETYPE`) before the library loads.
public enum BLASCore {
    /// The kernel set in use, as OpenBLAS names it ("Prescott", "Haswell", "SkylakeX", …).
    public static var name: String { String(cString: openblas_get_corename()).trimmingCharacters(in: .whitespaces) }

    /// OpenBLAS's build configuration line.
    public static var config: String { String(cString: openblas_get_config()) }

    /// The CPU's feature flags (Linux: the first `flags` line of /proc/cpuinfo).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    static let avx512Cores: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    static let avx2Cores: Set<String> = ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"]

    /// The kernel set to ask for when the one in use is weaker than the CPU allows, else nil:
    /// AVX-512 (F, BW, DQ, VL) → "SkylakeX", or "Cooperlake" with AVX-512 BF16; AVX2 + FMA →
    /// "Haswell".
    public static func suggestion(current: String, cpuFlags f: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(f.contains) {
            if avx512Cores.contains(current) { return nil }
            return f.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if f.contains("avx2") && f.contains("fma") {
            return avx2Cores.contains(current) ? nil : "Haswell"
        }
        return nil
    }

    /// Starts this program again (once) with `OPENBLAS_CORETYPE` naming the kernels the CPU
    /// allows, when the loaded ones are weaker: OpenBLAS reads the variable only when it
    /// loads. That includes an `OPENBLAS_CORETYPE` already set to a weaker core (a machine
    /// image that sets Haswell everywhere runs AVX2 code on AVX-512 CPUs at about half the
    /// sgemm speed); `VIGIL_KEEP_OPENBLAS_CORETYPE=1` keeps such a setting as it is.
    /// Returns only when no restart was needed or the restart failed.
    public static func restartWithTheCPUsKernels() {
        #if os(Linux)
        let env = ProcessInfo.processInfo.environment
        guard env["VIGIL_BLAS_RESTARTED"] == nil, env["VIGIL_KEEP_OPENBLAS_CORETYPE"] != "1",
              let core = suggestion(current: name, cpuFlags: cpuFlags()) else { return }
        let previous = env["OPENBLAS_CORETYPE"]
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("VIGIL_BLAS_RESTARTED", previous.map { "from \($0)" } ?? "1", 1)
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)
        // Still here: the restart failed; go on with the kernels already loaded.
        if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        #endif
    }
}
