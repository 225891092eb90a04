"""The framework's ceiling: a hello-world FastAPI endpoint served with the same uvicorn settings."""
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Body(BaseModel):
    profile: dict
    top_k: int = 10


@app.post("/recommendations")
def hello(body: Body) -> dict:
    return {"hello": "world", "top_k": body.top_k}
