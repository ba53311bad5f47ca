import ArgumentParser
import Distill
import Foundation

/// Runs `body`, turning any error into one line on stderr and exit status 1 (130 for an
/// interrupted run, with the line saying how to continue it).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let stop as InterruptedError {
        FileHandle.standardError.write(Data("kd: interrupted: \(stop)\n".utf8))
        throw ExitCode(130)
    } catch {
        FileHandle.standardError.write(Data("kd: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
