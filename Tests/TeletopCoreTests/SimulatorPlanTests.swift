import Testing
@testable import TeletopCore

/// Issue 12's simulator half: with a loaded plan the simulator makes the plan's
/// own traffic, which the plan accepts, instead of the contract's, which it rejects.
@Suite("Simulator with a loaded plan")
struct SimulatorPlanTests {
    static let json = #"""
    {"event_types": {
      "page_view": {"additional_fields": false, "fields": {
        "path": {"type": "string", "required": true, "max_length": 12},
        "user_id": {"type": "string", "required": true, "max_length": 6},
        "duration_ms": {"type": "integer"},
        "logged_in": {"type": "boolean"},
        "at": {"type": "timestamp", "required": true}}},
      "purchase": {"fields": {
        "user_id": {"type": "string", "required": true},
        "sku": {"type": "string", "required": true},
        "price": {"type": "number", "required": true},
        "currency": {"type": "string", "max_length": 3},
        "quantity": {"type": "integer"},
        "meta": {"type": "object"},
        "tags": {"type": "array"},
        "extra": {"type": "any", "required": true, "max_length": 2}}},
      "checkout_error": {"fields": {
        "error_code": {"type": "string", "required": true},
        "message": {"type": "string", "required": true, "max_length": 10},
        "at": {"type": "timestamp", "max_length": 21}}}
    }}
    """#

    static func plan(_ text: String = json) throws -> TrackingPlan {
        try TrackingPlan.load(json: Array(text.utf8))
    }

    func sequence(_ plan: TrackingPlan, seed: UInt64, count: Int = 500) -> [String] {
        let sim = Simulator(logger: EventLogger(plan: plan, clock: ManualClock()), seed: seed)
        return (0..<count).map { _ in
            let (type, payload) = sim.makeEvent()
            return type + JSONWriter.compact(.object(payload))
        }
    }

    @Test func everyEventIsAcceptedAndEveryPlannedTypeAppears() throws {
        let plan = try Self.plan()
        let logger = EventLogger(plan: plan, configuration: .init(ringCapacity: 2000), clock: ManualClock())
        let sim = Simulator(logger: logger, seed: 1, rate: 2000)
        #expect(sim.advance(elapsed: 1) == 2000)
        let snap = logger.snapshot()
        #expect(snap.totalRejected == 0, "\(snap.recentRejections.prefix(3).map(\.summary))")
        #expect(snap.totalAccepted == 2000)
        let events = logger.recentEvents(limit: 2000)
        #expect(events.count == 2000)
        #expect(Set(events.map(\.eventType)) == Set(plan.typeNames))
        let byType = Dictionary(uniqueKeysWithValues: snap.types.map { ($0.name, Int($0.accepted)) })
        #expect(Set(byType.keys) == Set(plan.typeNames))
        // Skewed: the first-listed type is the busiest, the error type is rare but present.
        #expect(byType["page_view"]! > byType["purchase"]!)
        #expect((1...150).contains(byType["checkout_error"]!))
        #expect(snap.health.status == .healthy)
    }

    @Test func theContractPlanKeepsTheContractTraffic() throws {
        #expect(Simulator.acceptsContractTraffic(.contract))
        let own = try Self.plan()
        #expect(!Simulator.acceptsContractTraffic(own))
        // Same traffic as before for the contract: the default logger's plan.
        #expect(sequence(.contract, seed: 7, count: 50) == {
            let sim = Simulator(logger: EventLogger(clock: ManualClock()), seed: 7)
            return (0..<50).map { _ in let (t, p) = sim.makeEvent(); return t + JSONWriter.compact(.object(p)) }
        }())
        #expect(Set(sequence(.contract, seed: 7).map { String($0.prefix { $0 != "{" }) }).isSubset(of: TrackingPlan.contract.typeNames))
        // A contract type made stricter (no extra fields): the contract's traffic would be rejected.
        var strict = TrackingPlan.contract
        strict.eventTypes[0].allowAdditionalFields = false
        #expect(!Simulator.acceptsContractTraffic(strict))
        let logger = EventLogger(plan: strict, clock: ManualClock())
        Simulator(logger: logger, seed: 2, rate: 1000).advance(elapsed: 1)
        #expect(logger.snapshot().totalRejected == 0)
    }

    /// A plan that adds types to the contract's gets both: contract traffic and the extras' own.
    @Test func aPlanThatExtendsTheContractGetsItsExtraTypesToo() throws {
        var plan = TrackingPlan.contract
        plan.eventTypes.append(EventTypeSpec(name: "page_view", fields: [FieldSpec("path", .string, required: true)]))
        let logger = EventLogger(plan: plan, configuration: .init(ringCapacity: 4000), clock: ManualClock())
        Simulator(logger: logger, seed: 3, rate: 4000).advance(elapsed: 1)
        let snap = logger.snapshot()
        #expect(snap.totalRejected == 0)
        let byType = Dictionary(uniqueKeysWithValues: snap.types.map { ($0.name, Int($0.accepted)) })
        // One extra type of four: about a quarter of the traffic.
        #expect((700...1300).contains(byType["page_view"] ?? 0), "\(byType)")
        #expect(byType["ai_block_used"]! > byType["page_view"]!, "contract traffic keeps its shape")
        #expect(byType["chapter_visit"]! > 0)
    }

    @Test func sameSeedSameEventsOtherSeedOthers() throws {
        let plan = try Self.plan()
        #expect(sequence(plan, seed: 7) == sequence(plan, seed: 7))
        #expect(sequence(plan, seed: 7, count: 50) != sequence(plan, seed: 8, count: 50))
    }

    @Test func valuesHaveThePlansTypesAndLimits() throws {
        let plan = try Self.plan()
        let clock = ManualClock()
        let sim = Simulator(logger: EventLogger(plan: plan, clock: clock), seed: 3)
        let now = clock.now()
        var optionalSeen = 0, optionalMissing = 0
        for _ in 0..<2000 {
            let (type, payload) = sim.makeEvent()
            #expect(plan.validate(eventType: type, payload: payload).isValid, "\(type) \(JSONWriter.compact(.object(payload)))")
            let spec = try #require(plan.eventTypes.first { $0.name == type })
            for field in spec.fields {
                guard let value = payload[field.name] else {
                    #expect(!field.required, "\(type).\(field.name) is required")
                    optionalMissing += 1
                    continue
                }
                if !field.required { optionalSeen += 1 }
                #expect(field.type.accepts(value), "\(type).\(field.name): \(value)")
                if case .string(let s) = value {
                    #expect(!s.isEmpty)
                    #expect(s.unicodeScalars.count <= field.maxLength, "\(type).\(field.name): \(s)")
                }
            }
            // Only planned fields: page_view refuses others, and the generator sends none anyway.
            #expect(payload.keys.allSatisfy { key in spec.fields.contains { $0.name == key } })
            if case .string(let at)? = payload["at"] {
                let t = try #require(Timestamp(iso8601: at))
                #expect(t <= now && t.millisecondsSinceEpoch > now.millisecondsSinceEpoch - 60_000)
            }
            if case .int(let ms)? = payload["duration_ms"] { #expect(ms > 0) }
            if type == "page_view" { #expect(payload["path"]?.stringValue?.hasPrefix("/") == true) }
        }
        // Optional fields are there most of the time, not always.
        let share = Double(optionalSeen) / Double(optionalSeen + optionalMissing)
        #expect(share > 0.7 && share < 0.9, "\(share)")
    }

    @Test func namesGiveBelievableValues() throws {
        let plan = try Self.plan(#"""
        {"event_types": {"signup": {"fields": {
          "user_id": {"type": "string", "required": true}, "country": {"type": "string", "required": true},
          "email": {"type": "string", "required": true}, "latency_ms": {"type": "number", "required": true},
          "plan": {"type": "string", "required": true}}}}}
        """#)
        let sim = Simulator(logger: EventLogger(plan: plan, clock: ManualClock()), seed: 4)
        var users: [String: Int] = [:]
        for _ in 0..<2000 {
            let (type, payload) = sim.makeEvent()
            #expect(type == "signup")
            let user = try #require(payload["user_id"]?.stringValue)
            #expect(user.hasPrefix("user_"))
            users[user, default: 0] += 1
            #expect(payload["country"]?.stringValue?.count == 2)
            #expect(payload["email"]?.stringValue?.contains("@") == true)
            #expect(["free", "pro", "team", "enterprise"].contains(payload["plan"]?.stringValue ?? ""))
            guard case .double(let ms)? = payload["latency_ms"] else {
                Issue.record("latency_ms should be a double: \(String(describing: payload["latency_ms"]))")
                continue
            }
            #expect(ms > 0 && ms < 60_000)
        }
        // Zipf-skewed users: the busiest has many more events than the median one.
        let counts = users.values.sorted()
        #expect(counts.last! > 10 * counts[counts.count / 2])
    }

    @Test func errorStormRaisesThePlansErrorTypeAndBurstWorks() throws {
        let logger = EventLogger(plan: try Self.plan(), clock: ManualClock())
        let sim = Simulator(logger: logger, seed: 5, rate: 1000)
        sim.toggleErrorStorm()
        #expect(sim.advance(elapsed: 1) == 1000)
        let errors = try #require(logger.snapshot().types.first { $0.name == "checkout_error" }).accepted
        #expect((250...450).contains(errors))
        sim.toggleErrorStorm()
        sim.setRate(100)
        sim.burst()
        #expect(sim.advance(elapsed: 1) == 1100)
        #expect(logger.snapshot().totalRejected == 0)
    }

    /// A plan without an "error" type has nothing to storm: the storm changes no event.
    @Test func errorStormWithoutAnErrorTypeChangesNothing() throws {
        let plan = try Self.plan(#"{"event_types": {"page_view": {"fields": {"path": {"type": "string", "required": true}}}, "signup": {"fields": {"user_id": {"type": "string"}}}}}"#)
        let calm = Simulator(logger: EventLogger(plan: plan, clock: ManualClock()), seed: 6)
        let storm = Simulator(logger: EventLogger(plan: plan, clock: ManualClock()), seed: 6)
        storm.toggleErrorStorm()
        for _ in 0..<200 {
            let (a, p) = calm.makeEvent()
            let (b, q) = storm.makeEvent()
            #expect(a == b && p == q)
        }
    }
}
