"""The telemetry contract as a FastAPI service: the reference a user would
otherwise write. Same validation as teletop's HTTP edge for the comparison:
unknown event types are rejected (400, listing the allowed types), payload
must be an object. It stores nothing."""
from datetime import datetime, timezone
from typing import Any, Dict

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

ALLOWED = ["ai_block_used", "chapter_visit", "error_event"]
app = FastAPI()
events_logged = 0


class EventLogRequest(BaseModel):
    event_type: str
    payload: Dict[str, Any]


@app.post("/api/telemetry/log")
def log(request: EventLogRequest):
    global events_logged
    if request.event_type not in ALLOWED:
        raise HTTPException(status_code=400,
                            detail=f"Invalid event type. Must be one of: {', '.join(ALLOWED)}")
    events_logged += 1
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"message": "Event logged successfully", "event_type": request.event_type, "timestamp": now}


@app.get("/api/telemetry/health")
def health():
    return {"status": "healthy", "message": "Telemetry service is running", "events_logged": events_logged}
