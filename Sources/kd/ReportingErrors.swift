import ArgumentParser
import Distill
import Foundation

/// Runs `body`, turning any error into one line on stderr and exit status 1. An interrupted
/// run exits 130, its line ending with the `kd <command> --resume RUN_DIR` that continues it.
func reportingErrors(command: String? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let stop as InterruptedError {
        var hint = ""
        if let command, let folder = stop.runFolder { hint = "; continue with: kd \(command) --resume \(folder)" }
        FileHandle.standardError.write(Data("kd: interrupted: \(stop)\(hint)\n".utf8))
        throw ExitCode(130)
    } catch {
        FileHandle.standardError.write(Data("kd: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
