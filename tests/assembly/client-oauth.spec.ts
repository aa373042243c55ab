import { formUrlEncode, tokenRequestBody, parseTokenResponse, TokenResponse, MAX_TOKEN_RESPONSE_BYTES } from "../../assembly/client/oauth";

function parse(text: string): TokenResponse {
  return parseTokenResponse(Uint8Array.wrap(String.UTF8.encode(text)));
}
function expectFails(text: string): string {
  const r = parse(text);
  expect(r.error.length).toBeGreaterThan(0, "expected a failure for " + text);
  expect(r.token).toBe("");
  return r.error;
}

describe("client oauth: request body", () => {
  it("form-encodes reserved characters, spaces and UTF-8", () => {
    expect(formUrlEncode("abc-XYZ_0.9*")).toBe("abc-XYZ_0.9*");
    expect(formUrlEncode("a b")).toBe("a+b");
    expect(formUrlEncode("a&b=c+d%e/f?")).toBe("a%26b%3Dc%2Bd%25e%2Ff%3F");
    expect(formUrlEncode("é€")).toBe("%C3%A9%E2%82%AC");
    expect(formUrlEncode("")).toBe("");
    expect(formUrlEncode("~")).toBe("%7E");
  });
  it("builds the client-credentials body", () => {
    expect(tokenRequestBody("my client", "s&cr=t")).toBe("grant_type=client_credentials&client_id=my+client&client_secret=s%26cr%3Dt");
  });
});

describe("client oauth: token response", () => {
  it("reads access_token and an integer expires_in", () => {
    const r = parse('{"access_token":"eyJ.abc.def","expires_in":1800,"token_type":"Bearer","scope":"x"}');
    expect(r.error).toBe("");
    expect(r.token).toBe("eyJ.abc.def");
    expect(r.hasExpiresIn).toBe(true);
    expect(r.expiresInS).toBe(1800);
  });
  it("accepts expires_in as a float or a digit string, and without expires_in", () => {
    expect(parse('{"access_token":"t","expires_in":299.9}').expiresInS).toBe(299);
    expect(parse('{"access_token":"t","expires_in":"600"}').expiresInS).toBe(600);
    const r = parse('{"access_token":"t"}');
    expect(r.error).toBe("");
    expect(r.hasExpiresIn).toBe(false);
  });
  it("refuses garbage without aborting the VM", () => {
    expectFails("");
    expectFails("garbage");
    expectFails("<html><body>502 Bad Gateway</body></html>");
    expectFails('{"access_token":"abc"');
    expectFails('{"access_token":"abc",}');
    expectFails('{"access_token":"a\\fb"}'); // \f aborts assemblyscript-json: refused by the check first
    expectFails('{"access_token":"abc\\x"}');
    expectFails("[1,2,3]");
    expectFails("null");
    expectFails('"just a string"');
    expectFails("\xff\xfe");
  });
  it("refuses a response without a usable token", () => {
    expectFails('{"expires_in":1800}');
    expectFails('{"access_token":""}');
    expectFails('{"access_token":42}');
    expectFails('{"access_token":null}');
    expectFails('{"access_token":"has space"}');
    expectFails('{"access_token":"line\\nbreak"}');
    expectFails('{"access_token":"caf\\u00e9"}');
  });
  it("refuses a non-positive or non-numeric expires_in", () => {
    expectFails('{"access_token":"t","expires_in":0}');
    expectFails('{"access_token":"t","expires_in":-5}');
    expectFails('{"access_token":"t","expires_in":"soon"}');
    expectFails('{"access_token":"t","expires_in":true}');
  });
  it("refuses oversized numbers and bodies before parsing", () => {
    let digits = "";
    for (let i = 0; i < 5000; i++) digits += "9";
    expectFails('{"access_token":"t","expires_in":' + digits + "}");
    let big = '{"access_token":"t","pad":"';
    while (big.length <= MAX_TOKEN_RESPONSE_BYTES) big += "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    expectFails(big + '"}');
  });
  it("never quotes the body (which may hold a token) in its error", () => {
    const secretish = "SECRET-TOKEN-VALUE-123";
    const errs: string[] = [
      expectFails('{"access_token":"' + secretish + ' x"}'),
      expectFails('{"access_token":"' + secretish + '"'),
      expectFails('{"token":"' + secretish + '"}'),
      expectFails('{"access_token":"' + secretish + '","expires_in":"never"}'),
    ];
    for (let i = 0; i < errs.length; i++) expect(errs[i].includes("SECRET")).toBe(false, errs[i]);
  });
});
