/// The learning platform's vocabulary, from shared/notes/event-contract.md,
/// that makes simulated traffic look like the real thing.
enum DemoVocabulary {
    struct Chapter {
        let id: Int64
        let title: String
        let sections: [String]
    }

    static let chapters: [Chapter] = [
        Chapter(id: 1, title: "What is Physical AI?", sections: ["what-is-physical-ai", "embodied-intelligence", "sensors-and-actuators"]),
        Chapter(id: 2, title: "Mechanical Systems", sections: ["kinematics-basics", "actuators-and-motors", "degrees-of-freedom"]),
        Chapter(id: 3, title: "Perception", sections: ["what-is-perception-in-physical-ai", "computer-vision-basics", "sensor-fusion"]),
        Chapter(id: 4, title: "ROS 2", sections: ["introduction-to-ros2", "nodes-and-topics", "services-and-actions"]),
        Chapter(id: 5, title: "Gazebo/Unity simulation", sections: ["gazebo-basics", "unity-robotics", "sim-to-real"]),
        Chapter(id: 6, title: "NVIDIA Isaac", sections: ["isaac-sim-overview", "isaac-ros", "synthetic-data"]),
        Chapter(id: 7, title: "VLA capstone", sections: ["vision-language-action", "capstone-project", "evaluation"]),
    ]

    static let blockTypes = ["ask-question", "explain-like-i-am-10", "interactive-quiz", "diagram-generator"]
    static let blockWeights: [Double] = [0.45, 0.25, 0.2, 0.1]

    static let models = ["gpt-4o-mini", "gpt-4o", "gemini-1.5-flash", "deepseek-chat"]
    static let modelWeights: [Double] = [0.5, 0.2, 0.2, 0.1]

    static let questions = [
        "What is Physical AI?", "How is a robot different from a chatbot?", "What does an actuator do?",
        "Explain forward kinematics", "How do cameras and lidar differ?", "What is sensor fusion?",
        "What is a ROS 2 topic?", "When should I use a service instead of a topic?", "How does sim-to-real transfer work?",
        "What is Isaac Sim for?", "What is a VLA model?", "How do I evaluate my capstone robot?",
    ]

    struct ErrorKind {
        let type: String
        let message: String
    }

    static let errors = [
        ErrorKind(type: "provider_timeout", message: "AI provider did not answer within 30000 ms"),
        ErrorKind(type: "rate_limited", message: "AI provider returned 429 Too Many Requests"),
        ErrorKind(type: "content_blocked", message: "answer blocked by the content filter"),
        ErrorKind(type: "retrieval_failure", message: "no passages found for the section"),
        ErrorKind(type: "validation_error", message: "quiz answer payload did not match the schema"),
    ]
    static let errorWeights: [Double] = [0.35, 0.25, 0.1, 0.2, 0.1]
}
