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

/// The type list's highlight, within the plan's types, "custom" and the recent events.
func moveInTypeList(_ state: inout DashboardState, by delta: Int) {
    guard var form = state.form, case .chooseType(let selected) = form.stage else { return }
    form.stage = .chooseType(selected: max(0, min(chooserCount(state) - 1, selected + delta)))
    state.form = form
}

/// The form's own actions (the key map names them; see `KeyMap`).
func performForm(_ state: inout DashboardState, _ action: Action) -> [Effect] {
    guard var form = state.form else {
        state.mode = .normal
        return []
    }
    defer { if state.form != nil { state.form = form } }
    switch action {
    case .choose:
        guard case .chooseType(let selected) = form.stage else { return [] }
        let planned = state.plan.eventTypes
        if selected < planned.count {
            let spec = planned[selected]
            form.begin(spec, remembered: state.formMemory[spec.name] ?? [:], now: state.snapshot.takenAt)
        } else if selected == planned.count {
            form.begin(nil, remembered: state.formMemory[""] ?? [:])
        } else {
            form.begin(from: state.fired[selected - planned.count - 1], plan: state.plan)
        }
    case .closeKeepingDraft:
        state.mode = .normal
        // Something typed and not yet accepted stays as a draft for next time.
        let keep = form.changed || { if case .rejected = form.result { return true } else { return false } }()
        if !keep {
            state.form = nil
            return []
        }
        state.notice = "draft kept: n brings it back"
    case .nextField:
        leaveRow(&form, plan: state.plan, now: state.snapshot.takenAt)
        form.focus = (form.focus + 1) % max(1, form.rowCount)
    case .previousField:
        leaveRow(&form, plan: state.plan, now: state.snapshot.takenAt)
        form.focus = (form.focus + max(1, form.rowCount) - 1) % max(1, form.rowCount)
    case .submit:
        switch form.payload(now: state.snapshot.takenAt) {
        case .failure(let error):
            form.rawError = error.message
        case .success(let payload):
            form.rawError = nil
            return [.fire(eventType: form.typeName, payload: payload)]
        }
    case .rawJSON: form.toggleRaw()
    case .curl: form.showCurl.toggle()
    default: break
    }
    return []
}

/// A key the map does not name, typed into the focused field.
func editForm(_ state: inout DashboardState, _ key: Key) {
    guard var form = state.form else { return }
    if editFocused(&form, key) {
        form.changed = true
        // What the last result said no longer describes what is typed.
        form.result = nil
        form.generalErrors = []
        form.rawError = nil  // checked again on leaving the field and on submitting
    }
    state.form = form
}

/// Marks the field being left if its value breaks the plan (or clears its mark).
private func leaveRow(_ form: inout EventForm, plan: TrackingPlan, now: Timestamp) {
    if form.raw {
        if case .failure(let e) = form.parseRaw() { form.rawError = e.message } else { form.rawError = nil }
        return
    }
    let index = form.focus - form.firstPayloadRow
    guard form.fields.indices.contains(index) else { return }
    let name = form.fields[index].spec.name
    // A required field left empty is not an error yet: only on submit.
    let issues = plan.validate(eventType: form.typeName, payload: form.fieldsPayload(now: now)).issues
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
