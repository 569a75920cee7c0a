@srv:1.1.1 @level:clause
Feature: GasThresholdMatrix in Wh, up to 2^48-1, index unique and consecutive (MP081 DUIS 3.8.1.2)

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.1.2 @release:from-2020-11
  Scenario Outline: A threshold given with a unit goes on the wire in Wh and reaches the meter in Wh
    When the user sends a gas tariff to the GSME with thresholds "<given>"
    Then the response code is I99
    And the request carried BlockThreshold values <wh>
    And the device response arrives with code I0
    And the meter holds gas block thresholds of <wh> Wh

    Examples:
      | given                          | wh                          |
      | 1000 kWh                       | 1000000                     |
      | 1000 kWh, 2000 kWh, 3000 kWh   | 1000000, 2000000, 3000000   |
      | 5 Wh                           | 5                           |
      | 281474976710655 Wh             | 281474976710655             |

  @clause:MP081-DUIS-3.8.1.2 @release:before-2020-11
  Scenario: Before MP081 the value was kWh
    When the user sends a gas tariff to the GSME with thresholds "1000 Wh"
    Then the response code is I99
    And the device response arrives with code I0
    And the meter holds gas block thresholds of 1000000 Wh

  @clause:MP081-DUIS-3.8.1.2
  Scenario Outline: Threshold indexes must be unique and consecutive from 1
    When the user asks for a pre-command of a gas tariff with threshold indexes "<indexes>"
    Then the response code is <code>

    Examples:
      | indexes | code    |
      | 1       | I0      |
      | 1,2,3   | I0      |
      | 1,1     | E010101 |
      | 1,3     | E010101 |
      | 2       | E010101 |
      | 2,3     | E010101 |
