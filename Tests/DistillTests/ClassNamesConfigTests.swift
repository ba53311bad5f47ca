import Distill
import Foundation
import XCTest

/// `data.classes`: read, written back by `resolvedYAML()`, refused when empty or repeated.
extension RunConfigTests {
    private var roles: String {
        "teacher:\n  model: Models/kdtest-teacher.yaml\nstudent:\n  model: Models/kdtest-student.yaml\n"
    }

    func testClassNamesAreReadAndWrittenBack() throws {
        let (dir, path) = try setUpFiles(config: "data:\n  classes: [cat, \"dog: big\", '7']\n" + roles)
        let c = try RunConfig.load(path: path)
        XCTAssertEqual(c.data.classes, ["cat", "dog: big", "7"])
        let back = try RunConfig(yaml: try c.resolvedYAML(), file: dir.path + "/run/config.yaml")
        XCTAssertEqual(back.data.classes, c.data.classes)
        XCTAssertNil(try RunConfig.load(path: try setUpFiles(config: roles).1).data.classes)
        for bad in ["[]", "[a, a]", "a"] {
            assertThrowsMessage(
                try RunConfig.load(path: try setUpFiles(config: "data:\n  classes: \(bad)\n" + roles).1),
                contains: ["data.classes"])
        }
    }
}
