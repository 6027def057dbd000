@main struct E { static func main() {} }
