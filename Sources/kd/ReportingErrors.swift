import ArgumentParser
import Distill
import Foundation
import NN

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
        // Every rank stopped at the same batch (the stop request is reduced with the gradients).
        if World.collective.isRoot { FileHandle.standardError.write(Data("kd: interrupted: \(stop)\(hint)\n".utf8)) }
        World.finish()
        throw ExitCode(130)
    } catch {
        fail("\(error)", code: 1)
    }
}

/// Prints `kd: error: <line>` and exits with `code`. Under mpirun the line names the rank and
/// `MPI_Abort` ends every rank; an error all ranks meet (bad input) is told once, by rank 0:
/// the others wait a moment, in which rank 0's abort ends them.
func fail(_ line: String, code: Int32) -> Never {
    guard World.launchedSize != nil, World.collective.size > 1 else {
        FileHandle.standardError.write(Data("kd: error: \(line)\n".utf8))
        exit(code)
    }
    let world = World.collective
    if !world.isRoot { sleep(2) }
    FileHandle.standardError.write(Data("kd: error: rank \(world.rank) of \(world.size): \(line)\n".utf8))
    World.abort(code: code)
}
