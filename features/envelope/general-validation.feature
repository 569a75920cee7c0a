@level:envelope
Feature: The general validation of DUIS 3.2.5, on critical, non-critical and non-device requests (MP081 DUIS 3.8.77.3)
  With no validation specific to SR 6.24.2 (DUIS 3.8.77.3), what protects it is the general validation every Service
  Request goes through (DUIS 3.2.5): signature, signer, counter, URL, command variant, Service Reference, role. That
  validation is the same for every Service Request, but an endpoint meets it on different paths: a critical SRV
  arrives at the Transform service (CV 4) and again as a signed pre-command at the Send Command service (CV 5), a
  non-critical device SRV at the Send Command service (CV 1) or the Non-Device service for local delivery (CV 2), a
  non-device SRV at the Non-Device service (CV 8). So each check is tried on three SRVs, one per path, each row its
  own SRV: 6.24.2 (critical), 3.2 (non-critical, no validation of its own: unlike 8.8.2, whose correct request the
  DSP refuses before June 2024 when the SMI holds no join, it is accepted in every release) and 8.2 (non-device).
  An endpoint whose implementation statement does not declare a row's SRV (or its command variant) is not asked
  about that row: NOT_APPLICABLE. Each partition has its accepting control (the same request, correct, accepted)
  beside the refusals. A broken request is refused and changes nothing; only E13 (the wrong web service for the
  request's command variant) has its meaning pinned; the other refusals may be any E-code of the request's own
  Service Request or a generic code, or (for a request malformed at the transport level) an HTTP 4xx. Each broken
  request stays valid against the DUIS schema.

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: The control: a correct request is accepted at the web service of its command variant
    When the user sends a correct "<srv>" request with command variant <cv>
    Then the request is accepted

    Examples: each command variant the suite sends, on the path it takes
      | srv    | cv |
      | 6.24.2 | 4  |
      | 6.24.2 | 5  |
      | 6.24.2 | 6  |
      | 3.2    | 1  |
      | 3.2    | 2  |
      | 8.2    | 8  |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A request sent to a web service its command variant does not use is refused with E13
    When the user sends a "<srv>" request with command variant <cv> to the web service "<path>"
    Then the general validation refuses it as "wrong-web-service"

    Examples: every command variant the control sends, at each of the two other web services
      | srv    | cv | path             |
      | 6.24.2 | 4  | /api/v1/serviceS |
      | 6.24.2 | 4  | /api/v1/serviceD |
      | 6.24.2 | 5  | /api/v1/serviceT |
      | 6.24.2 | 5  | /api/v1/serviceD |
      | 6.24.2 | 6  | /api/v1/serviceS |
      | 6.24.2 | 6  | /api/v1/serviceT |
      | 3.2    | 1  | /api/v1/serviceT |
      | 3.2    | 1  | /api/v1/serviceD |
      | 3.2    | 2  | /api/v1/serviceS |
      | 3.2    | 2  | /api/v1/serviceT |
      | 8.2    | 8  | /api/v1/serviceS |
      | 8.2    | 8  | /api/v1/serviceT |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A command variant the Service Request does not take is refused (sent to that variant's service)
    When the user sends a "<srv>" request with command variant <cv>
    Then the general validation refuses it as "wrong-command-variant"

    Examples: a variant of another kind: non-critical for the critical, non-device for the device, device for the non-device
      | srv    | cv |
      | 6.24.2 | 1  |
      | 3.2    | 8  |
      | 8.2    | 2  |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A Service Reference that does not match the variant is refused
    When the user sends a "<srv>" request naming Service Reference "<other>"
    Then the general validation refuses it as "service-reference-mismatch"

    Examples: a neighbouring Service Reference the schema admits
      | srv    | other |
      | 6.24.2 | 6.23  |
      | 3.2    | 3.1   |
      | 8.2    | 8.4   |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A request whose signed content was changed afterwards is refused
    When the user sends a "<srv>" request whose signed content was changed after signing
    Then the general validation refuses it as "signature-invalid"

    Examples: another value the schema admits, which the endpoint would accept if it were signed
      | srv    |
      | 6.24.2 |
      | 3.2    |
      | 8.2    |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A request whose signature value has one bit flipped is refused
    When the user sends a "<srv>" request whose signature value has one bit flipped
    Then the general validation refuses it as "signature-invalid"

    Examples:
      | srv    |
      | 6.24.2 |
      | 3.2    |
      | 8.2    |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A request signed by a key the DCC does not know is refused
    When the user sends a "<srv>" request signed by a key the DCC does not know
    Then the general validation refuses it as "signer-unknown"

    Examples:
      | srv    |
      | 6.24.2 |
      | 3.2    |
      | 8.2    |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A request signed by another registered user than its originator is refused
    When the user sends a "<srv>" request signed with the certificate of another registered user
    Then the general validation refuses it as "signer-not-originator"

    Examples: a valid signature the DCC can verify, of the wrong user
      | srv    |
      | 6.24.2 |
      | 3.2    |
      | 8.2    |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A replayed request is refused
    When the user sends the same "<srv>" request twice
    Then the first one was accepted
    And the general validation refuses it as "replay"

    Examples: the same bytes twice
      | srv    |
      | 6.24.2 |
      | 3.2    |
      | 8.2    |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A fresh request whose counter is below one already accepted is refused
    When the user sends a "<srv>" request, then a fresh one with a lower counter
    Then the first one was accepted
    And the general validation refuses it as "counter-not-increasing"

    Examples: a request never sent before, correctly signed, built just before the one accepted
      | srv    |
      | 6.24.2 |
      | 3.2    |
      | 8.2    |

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A request from a user whose role may not send the Service Request is refused
    When a user of a role that may not send "<srv>" sends a correct one
    Then the general validation refuses it as "role-ineligible"

    Examples: SRVs the DUIS eligibility table restricts to Import and Gas Suppliers (8.2 is open to every role)
      | srv    |
      | 6.24.2 |
      | 3.2    |
