@srv:12.1 @level:clause
Feature: SR 12.1 WAN coverage answers follow CHISM table 3 (MP081, MP106)
  The DSP answers a WAN coverage request per CSP region with a CHISM table 3 WAN variant that belongs to that
  region, in the DCC 2.0 names from the November 2020 release.

  Background:
    Given the standard estate

  @clause:MP081-CHISM-E3-T3 @release:from-2020-11
  Scenario Outline: A WAN variant is reported in its DCC 2.0 name for its own CSP region
    Given WAN coverage for UPRN 200000000001 in region "<region>" with variant "<dcc13>" available
    When the user requests the WAN matrix for UPRN 200000000001
    Then the response code is I0
    And the coverage for region "<region>" reports WAN technology "<dcc20>"
    And every reported WAN technology is a CHISM table 3 value of its CSP region

    Examples: CHISM table 3
      | dcc13         | dcc20         | region  |
      | Standard 420  | 420           | North   |
      | Variant 450   | 450           | North   |
      | Cellular      | Cellular      | South   |
      | Cellular      | Cellular      | Central |
      | Cellular+Mesh | Cellular+Mesh | South   |
      | Cellular+Mesh | Cellular+Mesh | Central |

  @clause:MP081-CHISM-E3-T3 @release:from-2020-11
  Scenario: No coverage intended is reported as such
    Given WAN coverage for UPRN 200000000002 in region "North" with variant "No Coverage Intended" not available until 2030-01-01
    When the user requests the WAN matrix for UPRN 200000000002
    Then the response code is I0
    And the coverage for region "North" reports WAN technology "No Coverage Intended"
    And every reported WAN technology is a CHISM table 3 value of its CSP region

  @clause:MP081-CHISM-E3-T3 @release:before-2020-11
  Scenario: Before MP081 the DCC 1.3 names are answered
    Given WAN coverage for UPRN 200000000003 in region "North" with variant "Standard 420" available
    When the user requests the WAN matrix for UPRN 200000000003
    Then the response code is I0
    And the coverage for region "North" reports WAN technology "Standard 420"
    And every reported WAN technology is a CHISM table 3 value of its CSP region

  @clause:MP081-CHISM-E3-SPACE @release:from-2020-11
  Scenario Outline: An availability date with an unconfirmed WAN variant is answered " "
    Given WAN coverage for UPRN 200000000004 in region "<region>" with variant " " not available until 2027-03-01
    When the user requests the WAN matrix for UPRN 200000000004
    Then the response code is I0
    And the coverage for region "<region>" gives the anticipated coverage date 2027-03-01
    And the WAN variant of region "<region>" reads as "Unknown" from release 2021-06
    And every reported WAN technology is a CHISM table 3 value of its CSP region

    Examples:
      | region  |
      | South   |
      | Central |
