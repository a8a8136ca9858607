// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "warroom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "warroom", targets: ["warroom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // Pure model: checklist engine, events, reducer. No I/O, no clock reads, no dependencies.
        .target(name: "WarRoomCore"),
        // The run journal: append-only, hash-chained JSON Lines; replay; the writer's lock.
        .target(name: "WarRoomStore", dependencies: [
            "WarRoomCore", "WarRoomJSON",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The one JSON reader (journal lines, telemetry bodies): strict, byte-level, pure Swift, no dependencies.
        .target(name: "WarRoomJSON"),
        // Render is a pure function (state, theme, size) -> cell buffer; widgets, layout, themes, the key table.
        .target(name: "WarRoomUI", dependencies: [
            "WarRoomCore", "WarRoomYAML",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Reading YAML files (themes, configs) with every problem tied to the line to edit.
        .target(name: "WarRoomYAML", dependencies: [
            "WarRoomCore",
            .product(name: "Yams", package: "Yams"),
        ]),
        // The config file (warroom.yaml): YAML to the Core's config model, with file:line errors.
        .target(name: "WarRoomConfig", dependencies: [
            "WarRoomCore", "WarRoomYAML",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Sources, the Dispatch-scheduled poller and the hook runner: everything that waits on the outside world.
        // Results return to the console as events.
        .target(name: "WarRoomTelemetry", dependencies: [
            "WarRoomCore", "WarRoomJSON", "COpenSSL",
            .product(name: "Subprocess", package: "swift-subprocess"),
        ]),
        // The system OpenSSL (libssl-dev) for https sources and the loopback server's TLS, with its macros as inline C.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // ncurses (wide-character build) with the macros Swift cannot import, as inline C functions.
        .systemLibrary(name: "CNCurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        // The only code that calls curses: one thread, writes only changed cells.
        .target(name: "WarRoomTerminal", dependencies: ["CNCurses", "WarRoomUI"]),
        // The command-line commands, as a library so tests and the executable share them.
        .target(name: "WarRoomCLI", dependencies: [
            "WarRoomCore", "WarRoomStore", "WarRoomUI", "WarRoomTerminal", "WarRoomConfig", "WarRoomTelemetry", "WarRoomEtcd", "WarRoomJSON",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The journal and the driver lease on etcd v3 (its JSON gateway, over WarRoomTelemetry's HTTP client).
        .target(name: "WarRoomEtcd", dependencies: ["WarRoomCore", "WarRoomStore", "WarRoomJSON", "WarRoomTelemetry"]),
        .executableTarget(name: "warroom", dependencies: ["WarRoomCLI"]),
        .executableTarget(name: "warroom-bench", dependencies: ["WarRoomCore", "WarRoomStore", "WarRoomUI", "WarRoomEtcd", "WarRoomCLI", "WarRoomTelemetry"]),
        // Real etcd members on 127.0.0.1 for the etcd store's tests and the commands' tests on it.
        .target(name: "EtcdTestSupport", dependencies: ["WarRoomEtcd"], path: "Tests/EtcdTestSupport"),
        .testTarget(name: "WarRoomCoreTests", dependencies: ["WarRoomCore"]),
        .testTarget(name: "WarRoomStoreTests", dependencies: ["WarRoomStore", "WarRoomCore"]),
        .testTarget(name: "WarRoomUITests", dependencies: ["WarRoomUI", "WarRoomCore"]),
        .testTarget(name: "WarRoomCLITests", dependencies: ["WarRoomCLI", "WarRoomStore", "WarRoomCore", "WarRoomEtcd", "EtcdTestSupport"]),
        .testTarget(name: "WarRoomTerminalTests", dependencies: ["WarRoomTerminal", "WarRoomUI"]),
        .testTarget(name: "WarRoomConfigTests", dependencies: ["WarRoomConfig", "WarRoomCore"]),
        .testTarget(name: "WarRoomEtcdTests", dependencies: ["WarRoomEtcd", "WarRoomStore", "WarRoomCore", "EtcdTestSupport"]),
        .testTarget(name: "WarRoomTelemetryTests", dependencies: ["WarRoomTelemetry", "WarRoomCore", "WarRoomJSON"]),
    ]
)
