import { parseStatus, statusCaptured } from "../../assembly/capture/status";
import { ptrOf, utf8 } from "./capture-helpers";

function st(s: string): i32 {
  const b = utf8(s);
  return parseStatus(ptrOf(b), b.byteLength);
}

describe("status: parsing :status", () => {
  it("reads three-digit codes", () => {
    expect(st("200")).toBe(200);
    expect(st("100")).toBe(100);
    expect(st("499")).toBe(499);
    expect(st("599")).toBe(599);
  });
  it("rejects anything else as 0", () => {
    expect(st("")).toBe(0);
    expect(st("20")).toBe(0);
    expect(st("2000")).toBe(0);
    expect(st("2x0")).toBe(0);
    expect(st(" 200")).toBe(0);
    expect(st("099")).toBe(0);
  });
});

describe("status: capture range (inclusive)", () => {
  it("default range 100..499", () => {
    expect(statusCaptured(100, 100, 499)).toBe(true);
    expect(statusCaptured(200, 100, 499)).toBe(true);
    expect(statusCaptured(204, 100, 499)).toBe(true);
    expect(statusCaptured(304, 100, 499)).toBe(true);
    expect(statusCaptured(404, 100, 499)).toBe(true);
    expect(statusCaptured(499, 100, 499)).toBe(true);
    expect(statusCaptured(500, 100, 499)).toBe(false);
    expect(statusCaptured(503, 100, 499)).toBe(false);
    expect(statusCaptured(599, 100, 499)).toBe(false);
  });
  it("custom ranges, edges included", () => {
    expect(statusCaptured(500, 100, 599)).toBe(true);
    expect(statusCaptured(199, 200, 299)).toBe(false);
    expect(statusCaptured(200, 200, 299)).toBe(true);
    expect(statusCaptured(299, 200, 299)).toBe(true);
    expect(statusCaptured(300, 200, 299)).toBe(false);
    expect(statusCaptured(404, 404, 404)).toBe(true);
    expect(statusCaptured(403, 404, 404)).toBe(false);
  });
  it("never captures a missing or malformed status", () => {
    expect(statusCaptured(0, 100, 599)).toBe(false);
    expect(statusCaptured(0, 0, 599)).toBe(false);
  });
});
