import TeletopCore

/// `n`: the form comes back as it was left (a draft), or starts with the type list.
func openForm(_ state: inout DashboardState) {
    if state.form == nil { state.form = EventForm() }
    state.mode = .form
}

/// `r`: the last fired event again.
func refire(_ state: inout DashboardState) -> [Effect] {
    guard let last = state.fired.first else {
        state.notice = "nothing fired yet: n opens the form"
        return []
    }
    return [.fire(eventType: last.eventType, payload: last.payload)]
}

/// Entries of the type list: the plan's types, "custom", then recent events.
func chooserCount(_ state: DashboardState) -> Int { state.plan.eventTypes.count + 1 + state.fired.count }

func updateForm(_ state: inout DashboardState, _ key: Key) -> [Effect] {
    guard var form = state.form else {
        state.mode = .normal
        return []
    }
    var discard = false
    defer { state.form = discard ? nil : form }
    switch form.stage {
    case .chooseType(let selected):
        let count = chooserCount(state)
        switch key {
        case .escape, .char("q"):
            state.mode = .normal
            discard = true  // nothing typed yet: nothing to keep
            return []
        case .down, .char("j"), .tab: form.stage = .chooseType(selected: min(count - 1, selected + 1))
        case .up, .char("k"), .backTab: form.stage = .chooseType(selected: max(0, selected - 1))
        case .enter:
            let planned = state.plan.eventTypes
            if selected < planned.count {
                let spec = planned[selected]
                form.begin(spec, remembered: state.formMemory[spec.name] ?? [:])
            } else if selected == planned.count {
                form.begin(nil, remembered: state.formMemory[""] ?? [:])
            } else {
                form.begin(from: state.fired[selected - planned.count - 1], plan: state.plan)
            }
        default: break
        }
        return []
    case .edit:
        switch key {
        case .escape:
            state.mode = .normal
            // Something typed and not yet accepted stays as a draft for next time.
            let keep = form.changed || { if case .rejected = form.result { return true } else { return false } }()
            if !keep { discard = true; return [] }
            state.notice = "draft kept: n brings it back"
            return []
        case .tab, .down:
            leaveRow(&form, plan: state.plan)
            form.focus = (form.focus + 1) % max(1, form.rowCount)
        case .backTab, .up:
            leaveRow(&form, plan: state.plan)
            form.focus = (form.focus + max(1, form.rowCount) - 1) % max(1, form.rowCount)
        case .enter:
            switch form.payload() {
            case .failure(let error):
                form.rawError = error.message
            case .success(let payload):
                form.rawError = nil
                return [.fire(eventType: form.typeName, payload: payload)]
            }
        case .ctrl("r"): form.toggleRaw()
        case .f2: form.showCurl.toggle()
        default:
            if editFocused(&form, key) {
                form.changed = true
                form.result = nil
            }
        }
        return []
    }
}

/// Marks the field being left if its value breaks the plan (or clears its mark).
private func leaveRow(_ form: inout EventForm, plan: TrackingPlan) {
    if form.raw {
        if case .failure(let e) = form.parseRaw() { form.rawError = e.message } else { form.rawError = nil }
        return
    }
    let index = form.focus - form.firstPayloadRow
    guard form.fields.indices.contains(index) else { return }
    let name = form.fields[index].spec.name
    // A required field left empty is not an error yet: only on submit.
    let issues = plan.validate(eventType: form.typeName, payload: form.fieldsPayload()).issues
        .filter { $0.problem != .missing }
    form.show(issues, only: name)
}

private func editFocused(_ form: inout EventForm, _ key: Key) -> Bool {
    if form.typeRow == form.focus { return form.typeEditor.handle(key) }
    if form.raw { return form.rawEditor.handle(key) }
    let index = form.focus - form.firstPayloadRow
    guard form.fields.indices.contains(index) else { return false }
    return form.fields[index].editor.handle(key)
}

/// The outcome of a fired event: into the form when it came from there, and
/// into the history either way.
func applyFired(_ state: inout DashboardState, _ event: FiredEvent, _ result: EventForm.Result) {
    state.fired.insert(event, at: 0)
    if state.fired.count > DashboardState.firedHistoryLimit { state.fired.removeLast() }
    let verdict: String
    switch result {
    case .accepted(let logged): verdict = "accepted at \(logged.timestamp.iso8601)"
    case .rejected(let issues): verdict = "rejected: " + issues.map(\.message).joined(separator: "; ")
    }
    guard state.mode == .form, var form = state.form, form.typeName == event.eventType else {
        state.notice = "fired \(event.eventType): \(verdict)"
        return
    }
    form.result = result
    switch result {
    case .accepted:
        form.show([])
        form.changed = false
        var memory: [String: String] = [:]
        if form.isCustom {
            memory = ["event_type": form.typeEditor.text, "payload": form.rawEditor.text]
        } else {
            for field in form.fields { memory[field.spec.name] = field.editor.text }
        }
        state.formMemory[form.isCustom ? "" : form.eventType] = memory
    case .rejected(let issues):
        form.show(issues)
    }
    state.form = form
}
