@wire
Feature: Requests the suite puts on the wire
  Every request the suite sends is built in the element order the DUIS XSD requires, keeps the DUIS rules the XSD
  cannot express, goes to the web service its command variant requires and carries a signature in the DCC Boxed
  profile that verifies. This is the suite's own self-check; the clause features judge the endpoint.

  Scenario Outline: SRV <srv> with CV <cv> is well formed, valid, routed and signed
    Given a request context
    When the user builds SRV "<srv>" with command variant <cv>
    Then the request is valid against the DUIS schema in use
    And the request keeps the DUIS rules the schema does not check
    And the request goes to "<path>"
    When the user signs the request
    Then the signature on the wire verifies with the user's certificate
    And the request is valid against the DUIS schema in use

    Examples:
      | srv    | cv | path             |
      | 1.1.1  | 4  | /api/v1/serviceT |
      | 3.2    | 1  | /api/v1/serviceS |
      | 3.2    | 2  | /api/v1/serviceD |
      | 6.8    | 4  | /api/v1/serviceT |
      | 6.15.1 | 4  | /api/v1/serviceT |
      | 6.15.2 | 4  | /api/v1/serviceT |
      | 6.21   | 1  | /api/v1/serviceS |
      | 6.23   | 1  | /api/v1/serviceS |
      | 6.24.2 | 4  | /api/v1/serviceT |
      | 8.2    | 8  | /api/v1/serviceD |
      | 8.4    | 8  | /api/v1/serviceD |
      | 8.7.1  | 4  | /api/v1/serviceT |
      | 8.7.2  | 1  | /api/v1/serviceS |
      | 8.8.1  | 4  | /api/v1/serviceT |
      | 8.8.2  | 1  | /api/v1/serviceS |
      | 8.11   | 1  | /api/v1/serviceS |
      | 8.12.1 | 1  | /api/v1/serviceS |
      | 8.12.2 | 1  | /api/v1/serviceS |
      | 8.13   | 8  | /api/v1/serviceD |
      | 8.14.1 | 8  | /api/v1/serviceD |
      | 8.14.2 | 8  | /api/v1/serviceD |
      | 8.14.3 | 8  | /api/v1/serviceD |
      | 8.14.4 | 8  | /api/v1/serviceD |
      | 11.3   | 4  | /api/v1/serviceT |
      | 12.1   | 8  | /api/v1/serviceD |
      | 12.2   | 8  | /api/v1/serviceD |
