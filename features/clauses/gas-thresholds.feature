@srv:1.1.1 @level:clause
Feature: GasThresholdMatrix BlockThreshold: Wh, one to three, at most 2^48-1, index unique and consecutive (MP081 DUIS 3.8.1.2)
  BlockThreshold is a GasThresholdType (xs:unsignedLong, at most 2^48-1) in Wh (the old text said kWh by mistake);
  one to three occur, and their index attribute is unique and consecutive from 1. The values of the Examples go on
  the wire exactly as written, in Wh. The XSD checks neither uniqueness nor consecutiveness, and the DCC's code for
  them is not published: the endpoint must refuse them with a 1.1 or generic code and change nothing. The index
  sets tried cover {1..n} for n = 1, 2, 3 and the ways a set is not that: a start other than 1, a gap, a duplicate
  (adjacent or not), an order other than 1, 2, 3, and an index outside 1..3 (0 or 4, which the XSD itself refuses);
  the values 0 and 2^48-1 Wh are the type's bounds.

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.1.2
  Scenario Outline: A tariff with valid BlockThreshold values is accepted and carried out (over DUIS alone)
    When the user sends the GSME a gas tariff with BlockThreshold values "<wh>" and indexes "<indexes>"
    Then the response code is I99
    And the device response arrives with code I0

    Examples:
      | wh                        | indexes |
      | 1000000, 2000000, 3000000 | 1,2,3   |
      | 281474976710655           | 1       |

  @clause:MP081-DUIS-3.8.1.2
  Scenario Outline: A tariff with valid BlockThreshold values is applied and the meter holds them in Wh
    When the user sends the GSME a gas tariff with BlockThreshold values "<wh>" and indexes "<indexes>"
    Then the response code is I99
    And the device response arrives with code I0
    And the GSME holds gas block thresholds of <wh> Wh
    And nothing else observable changed

    Examples:
      | wh                        | indexes |
      | 1000                      | 1       |
      | 1000000, 2000000, 3000000 | 1,2,3   |
      | 5, 6                      | 1,2     |
      | 281474976710655           | 1       |
      | 0                         | 1       |
      | 0, 281474976710655        | 1,2     |

  @clause:MP081-DUIS-3.8.1.2
  Scenario Outline: A tariff whose BlockThreshold indexes are not unique and consecutive from 1 is refused, and the meter is left alone
    When the user sends the GSME a gas tariff with BlockThreshold values "<wh>" and indexes "<indexes>"
    Then the request is refused as "<case>"

    Examples:
      | wh         | indexes | case                            |
      | 1000, 2000 | 1,1     | threshold-index-duplicate       |
      | 1000, 2000 | 1,3     | threshold-index-not-consecutive |
      | 1000       | 2       | threshold-index-not-consecutive |
      | 1000, 2000 | 2,3     | threshold-index-not-consecutive |
      | 1000, 2000, 3000 | 1,2,1 | threshold-index-duplicate |
      | 1000, 2000, 3000 | 1,1,2 | threshold-index-duplicate |
      | 1000, 2000 | 2,1     | threshold-index-not-consecutive |
      | 1000, 2000, 3000 | 1,3,2 | threshold-index-not-consecutive |

  @clause:MP081-DUIS-3.8.1.2
  Scenario Outline: A tariff whose BlockThreshold values break GasThresholdType is refused, and the meter is left alone
    When the user sends the GSME a gas tariff with BlockThreshold values "<wh>" and indexes "<indexes>", unchecked
    Then the request is refused as "<case>"

    Examples:
      | wh                           | indexes | case                    |
      | 281474976710656              | 1       | threshold-above-maximum |
      | 1.5                          | 1       | threshold-not-whole     |
      | 1000, 2000, 3000, 4000       | 1,2,3,4 | threshold-count         |
      | 1000                         | 0       | threshold-index-out-of-range |
      | 1000                         | 4       | threshold-index-out-of-range |
      | 1000, 2000                   | 0,1     | threshold-index-out-of-range |
      | 1000, 2000, 3000             | 1,2,4   | threshold-index-out-of-range |
