import HallmarkCommands

@main
struct Entrypoint {
    static func main() {
        HallmarkCommand.main()
    }
}
