@srv:6.24.2 @level:envelope
Feature: SR 6.24.2 gets the general validation of DUIS 3.2.5 (MP081 DUIS 3.8.77.3)
  With no validation specific to SR 6.24.2, what protects it is the general validation every Service Request goes
  through. A request broken at the envelope is refused and changes nothing. Only E13 (the wrong web service for the
  request type) has its meaning pinned here; the others are refused with an E-code of SR 6.24 or a generic code, or
  with an HTTP 4xx. Each broken request stays valid against the DUIS schema.

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A request sent to the web service its command variant does not use is refused with E13
    When the user sends a "6.24.2" request to the wrong web service
    Then the request is refused as "wrong-web-service"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A command variant the Service Request does not take is refused
    When the user sends a "6.24.2" request with command variant 1
    Then the request is refused as "wrong-command-variant"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A Service Reference that does not match the variant is refused
    When the user sends a "6.24.2" request naming Service Reference "6.23"
    Then the request is refused as "service-reference-mismatch"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A request whose signed content was changed afterwards is refused
    When the user sends a "6.24.2" request whose credential type was changed after signing
    Then the request is refused as "signature-invalid"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A request whose signature value has one bit flipped is refused
    When the user sends a "6.24.2" request whose signature value has one bit flipped
    Then the request is refused as "signature-invalid"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A request signed by a key the DCC does not know is refused
    When the user sends a "6.24.2" request signed by a key the DCC does not know
    Then the request is refused as "signer-unknown"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A replayed request is refused
    When the user sends the same "6.24.2" request twice
    Then the first one was accepted with I0
    And the request is refused as "replay"

  @clause:MP081-DUIS-3.8.77.3
  Scenario: The same request, correctly signed and sent, is accepted
    When the user sends a correct "6.24.2" request
    Then the request is accepted
