"""A partner's CI test against the OneKYC simulator, with the `onekyc_sim` fixture of the onekyc-sim package.

`start_liveness_check` stands in for your backend: replace it with a call into your own code, pointed
at `onekyc_sim.base_url` instead of the vendor's sandbox.
"""

import httpx


def start_liveness_check(base_url: str, client_id: str, pass_key: str, partner_session_id: str) -> str:
    """Your backend: partner token, then Initiate Flow; returns the user token it hands to the SDK."""
    with httpx.Client(base_url=base_url) as vendor:
        auth = vendor.get("/v1/esign/partner/authentication", headers={"client-id": client_id, "pass-key": pass_key})
        flow = vendor.post(
            "/coe-partner/v1/initiate-flow",
            headers={
                "x-onekyc-token": auth.json()["data"]["token"],
                "x-onboarding-partner": "CLIENT_X-SDK-STANDALONE_LIVENESS",
                "x-partner-user-id": "user-42",
                "x-partner-user-id-type": "CLIENT_X_USER_ID",
                "x-partner-session-id": partner_session_id,
            },
            json={"flow": "STANDALONE_LIVENESS", "source": "SDK"},
        )
        flow.raise_for_status()
        return flow.json()["data"]["token"]


def test_a_spoofed_selfie_reaches_our_callback(onekyc_sim):
    callbacks = onekyc_sim.receive_callbacks()  # a local endpoint; the partner's callback URL now points at it
    onekyc_sim.bind_scenario("order-42", "spoof")  # this session's selfies will be judged spoofs

    user_token = start_liveness_check(onekyc_sim.base_url, onekyc_sim.client_id, onekyc_sim.pass_key, "order-42")
    submission_id = onekyc_sim.submit_selfie(user_token, "order-42")  # plays the SDK: presign, upload, confirm
    onekyc_sim.advance(5)  # processing ends on the simulator clock: no sleeping

    [callback] = callbacks.wait_for(1, timeout=5)
    assert callback.json()["submissionId"] == submission_id
    assert (callback.json()["status"], callback.json()["result"]) == ("COMPLETED", "INVALID")
    assert onekyc_sim.status(user_token, "order-42", submission_id)["nextAction"] == "RETRY"
    onekyc_sim.assert_requested(method="POST", path="/coe-partner/v1/initiate-flow", partnerSessionId="order-42")
