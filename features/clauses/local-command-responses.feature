@srv:8.13 @level:story
Feature: SR 8.13 Return Local Command Response (MP081 DUIS 3.8.112.2) and Organisation Certificate tracking
  The Service Request Responses the DCC needs through 8.13 are exactly those of 3.2, 6.8, 6.15.1, 6.15.2, 6.21, 6.23,
  8.7.1, 8.7.2, 8.8.1, 8.8.2, 8.11, 8.12.1, 8.12.2 and 11.3. OriginalRequestID is mandatory when the GBCS payload is a
  response and not applicable for a Device Alert. A returned response is processed, so its effect on the DCC's
  records is observable; for 6.15.1 and 6.21 the DCC tracks the Organisation Certificates held on the device from
  the returned response, not before, each under its own role and usage ("RemotePartyRole/usage"). The DCC's codes
  for refusing an 8.13 are not published: a refusal is an 8.13 or generic E-code that changes nothing. A scenario
  that judges the state ends with the frame check: every device of the estate and its SMKI entries changed by
  exactly what the scenario judges (the command's effect on the device, the DCC's records once the response is
  returned), and nothing else.

  Background:
    Given the standard estate
    And the CAD is joined to the ESME

  @clause:MP081-DUIS-3.8.112.2
  Scenario Outline: The response to every SRV on the list is accepted through 8.13
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13
    Then the request is accepted

    Examples: the 8.13 list
      | srv    |
      | 3.2    |
      | 6.8    |
      | 6.15.1 |
      | 6.15.2 |
      | 6.21   |
      | 6.23   |
      | 8.7.1  |
      | 8.7.2  |
      | 8.8.1  |
      | 8.8.2  |
      | 8.11   |
      | 8.12.1 |
      | 8.12.2 |
      | 11.3   |

  @clause:MP081-DUIS-3.8.112.2 @srv:8.8.2
  Scenario: A locally delivered Unjoin changes the inventory when its response is returned through 8.13, not before
    When the user issues SRV "8.8.2" for local delivery
    And the engineer executes the command on the device
    Then the inventory records the CAD joined to the ESME
    And the ESME itself no longer holds the join with the CAD
    When the user returns the device's response with SR 8.13
    Then the request is accepted
    And the inventory records no join of the CAD to the ESME
    And nothing else observable changed

  # A Join delivered locally: the device holds the join as soon as the engineer runs it, the SMI only once the
  # response comes back through 8.13 (the registry's own example; the SMI learns a join from the Join's response,
  # DP178). Both Join variants, with a pair not yet joined.
  @clause:MP081-DUIS-3.8.112.2 @clause:DP178-SMI-JOIN
  Scenario Outline: A locally delivered Join reaches the inventory when its response is returned through 8.13, not before
    Given the inventory records no join of the PPMID to the ESME
    When the user issues SRV "<srv>" for local delivery, joining the PPMID to the ESME
    And the engineer executes the command on the device
    Then the ESME itself holds the join with the PPMID
    And the inventory records no join of the PPMID to the ESME
    When the user returns the device's response with SR 8.13
    Then the request is accepted
    And the inventory records the PPMID joined to the ESME
    And nothing else observable changed

    Examples: both Join variants on the 8.13 list
      | srv   |
      | 8.7.1 |
      | 8.7.2 |

  @clause:MP081-DUIS-3.8.112.2
  Scenario Outline: The response to an SRV off the list is refused, and changes nothing
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13
    Then the request is refused as "local-response-off-the-list"

    Examples:
      | srv    |
      | 1.1.1  |
      | 6.24.2 |

  @clause:MP081-DUIS-3.8.112.2 @srv:8.8.2
  Scenario: A device response returned without its OriginalRequestID is refused, and changes nothing
    When the user issues SRV "8.8.2" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13 without the OriginalRequestID
    Then the request is refused as "local-response-without-original-request-id"
    And the inventory records the CAD joined to the ESME
    And the ESME itself no longer holds the join with the CAD
    And nothing else observable changed

  @clause:MP081-DUIS-3.8.112.2
  Scenario: A Device Alert is returned through 8.13 without an OriginalRequestID and accepted
    When the engineer collects a Device Alert from the ESME
    And the user returns the Device Alert with SR 8.13
    Then the request is accepted

  @clause:MP081-DUIS-3.8.112.2 @srv:8.8.2
  Scenario: A device response whose GBCS header does not match the OriginalRequestID is refused, and changes nothing
    When the user issues SRV "8.8.2" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13 under another originator counter
    Then the request is refused as "local-response-not-matching"
    And the inventory records the CAD joined to the ESME
    And the ESME itself no longer holds the join with the CAD
    And nothing else observable changed

  @clause:MP081-ORGCERT-TRACKING @clause:MP081-DUIS-3.8.112.2
  Scenario Outline: Organisation Certificates placed locally are tracked from the 8.13 response, not before
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    Then the organisation certificates tracked for the <device> lack the one sent
    And the <device> itself holds the organisation certificate sent
    When the user returns the device's response with SR 8.13
    Then the request is accepted
    And the organisation certificates tracked for the <device> include the one sent
    And nothing else observable changed

    Examples:
      | srv    | device |
      | 6.15.1 | ESME   |
      | 6.21   | GPF    |
