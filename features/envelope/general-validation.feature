@srv:6.24.2 @level:envelope
Feature: SR 6.24.2 gets the general validation of DUIS 3.2.5 (MP081 DUIS 3.8.77.3)
  With no SR-specific validation left, what protects SR 6.24.2 is the general validation every Service Request
  goes through. A request broken at the envelope is refused and never reaches the device.

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: A request sent to the web service its command variant does not use is refused with E13
    When the user sends a "6.24.2" request to the wrong web service
    Then the request is refused with E13

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: A command variant the Service Request does not take is refused
    When the user sends a "6.24.2" request with command variant 1
    Then the request is refused without being processed

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: A Service Reference that does not match the variant is refused
    When the user sends a "6.24.2" request naming Service Reference "6.23"
    Then the request is refused without being processed

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: A request whose signature no longer verifies is refused
    When the user sends a "6.24.2" request whose signature no longer verifies
    Then the request is refused without being processed

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: A request signed by a key the DCC does not know is refused
    When the user sends a "6.24.2" request signed by a key the DCC does not know
    Then the request is refused without being processed

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: A replayed request is refused
    When the user sends the same "6.24.2" request twice
    Then the first one was accepted with I0
    And the request is refused without being processed
