#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HallmarkCommands

@main
struct Entrypoint {
    static func main() async {
        // A helper program that exits without reading its input must give an error, not kill hallmark.
        signal(SIGPIPE, SIG_IGN)
        await HallmarkCommand.main()
    }
}
