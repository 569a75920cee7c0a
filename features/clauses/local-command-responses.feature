@srv:8.13 @level:story
Feature: SR 8.13 Return Local Command Response (MP081 DUIS 3.8.112.2) and Organisation Certificate tracking

  Background:
    Given the standard estate
    And the CAD is joined to the ESME

  @clause:MP081-DUIS-3.8.112.2 @release:from-2020-11
  Scenario Outline: The response to every SRV on the list is accepted through 8.13
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13
    Then the response code is I99

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

  @clause:MP081-DUIS-3.8.112.2
  Scenario Outline: The response to an SRV off the list is refused
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13
    Then the response code is E081302

    Examples:
      | srv    |
      | 1.1.1  |
      | 6.24.2 |

  @clause:MP081-DUIS-3.8.112.2 @release:before-2020-11
  Scenario Outline: Before MP081, 6.15.1 and 6.21 were not on the list
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13
    Then the response code is E081302

    Examples:
      | srv    |
      | 6.15.1 |
      | 6.21   |

  @clause:MP081-DUIS-3.8.112.2 @release:from-2020-11
  Scenario: A device response whose GBCS header does not match the original request is refused
    When the user issues SRV "8.7.2" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13 under another counter
    Then the response code is E081303

  @clause:MP081-ORGCERT-TRACKING @clause:MP081-DUIS-3.8.112.2 @release:from-2020-11
  Scenario Outline: Organisation Certificates placed locally are tracked from the 8.13 response
    When the user issues SRV "<srv>" for local delivery
    And the engineer executes the command on the device
    And the user returns the device's response with SR 8.13
    Then the response code is I99
    And the organisation certificates tracked for the <device> include the new one

    Examples:
      | srv    | device |
      | 6.15.1 | ESME   |
      | 6.21   | GPF    |
