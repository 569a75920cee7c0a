@srv:12.1 @level:clause
Feature: SR 12.1 WAN coverage answers carry CHISM table 3 values of their own CSP region (MP081 CHISM Annex E3)
  CHISM Annex E3 table 3 names each WAN variant in two columns, "WAN Variant (DCC 1.3)" and "WAN Variant (DCC 2.0)"
  (DCC system versions, not SEC releases), with the CSP region it belongs to. A value of either column is a table 3
  value; it must belong to the region that answers. An implementation statement may declare the column the endpoint
  answers in (chism_column), and the endpoint is then held to that column. Regions table 3 does not cover (the 4G
  regions, Unknown, SMETS1) are reported, not judged.

  Background:
    Given the standard estate

  @clause:MP081-CHISM-E3-T3
  Scenario Outline: The variant a CSP region gave is answered as that table 3 variant, for that region
    Given WAN coverage for UPRN 200000000001 in region "<region>" with variant "<given>" available
    When the user requests the WAN matrix for UPRN 200000000001
    Then the response code is I0
    And the coverage for region "<region>" reports the table 3 variant "<dcc13>" or "<dcc20>"
    And every WAN technology reported for a table 3 region is a table 3 value of that region

    Examples: CHISM table 3, arranged in either naming column
      | given         | dcc13         | dcc20         | region  |
      | Standard 420  | Standard 420  | 420           | North   |
      | 420           | Standard 420  | 420           | North   |
      | Variant 450   | Variant 450   | 450           | North   |
      | 450           | Variant 450   | 450           | North   |
      | Cellular      | Cellular      | Cellular      | South   |
      | Cellular      | Cellular      | Cellular      | Central |
      | Cellular+Mesh | Cellular+Mesh | Cellular+Mesh | South   |
      | Cellular+Mesh | Cellular+Mesh | Cellular+Mesh | Central |

  @clause:MP081-CHISM-E3-T3
  Scenario: No coverage intended is answered as such
    Given WAN coverage for UPRN 200000000002 in region "North" with variant "No Coverage Intended" not available until 2030-01-01
    When the user requests the WAN matrix for UPRN 200000000002
    Then the response code is I0
    And the coverage for region "North" reports the table 3 variant "No Coverage Intended" or "No Coverage Intended"
    And every WAN technology reported for a table 3 region is a table 3 value of that region

  @clause:MP081-CHISM-E3-T3
  Scenario: Each region of a premises covered by two regions answers its own variant
    Given WAN coverage for UPRN 200000000003 in region "North" with variant "420" available
    And WAN coverage for UPRN 200000000003 in region "South" with variant "Cellular" available
    When the user requests the WAN matrix for UPRN 200000000003
    Then the response code is I0
    And the coverage for region "North" reports the table 3 variant "Standard 420" or "420"
    And where the answer has a row per region, the coverage for region "South" reports the table 3 variant "Cellular" or "Cellular"
    And every WAN technology reported for a table 3 region is a table 3 value of that region

  @clause:MP081-CHISM-E3-T3
  Scenario: A region table 3 does not cover is reported, not judged
    Given the endpoint's schema has the CSP region "4G North"
    And WAN coverage for UPRN 200000000006 in region "4G North" with variant "4G LTE-M" available
    And WAN coverage for UPRN 200000000006 in region "North" with variant "450" available
    When the user requests the WAN matrix for UPRN 200000000006
    Then the response code is I0
    And the coverage for region "North" reports the table 3 variant "Variant 450" or "450"
    And every WAN technology reported for a table 3 region is a table 3 value of that region

  @clause:MP081-CHISM-E3-SPACE @clause:MP081-CHISM-E3-T3
  Scenario Outline: An availability date with an unconfirmed variant is answered " " with the date, in South and Central
    Given WAN coverage for UPRN 200000000004 in region "<region>" with variant " " not available until 2027-03-01
    When the user requests the WAN matrix for UPRN 200000000004
    Then the response code is I0
    And the coverage for region "<region>" gives the anticipated coverage date 2027-03-01
    And the coverage for region "<region>" reports the unconfirmed WAN variant " "
    And every WAN technology reported for a table 3 region is a table 3 value of that region

    Examples:
      | region  |
      | South   |
      | Central |

  @clause:MP081-CHISM-E3-SPACE
  Scenario Outline: A confirmed variant with an availability date is answered as that variant, not " "
    Given WAN coverage for UPRN 200000000005 in region "<region>" with variant "<given>" not available until 2027-03-01
    When the user requests the WAN matrix for UPRN 200000000005
    Then the response code is I0
    And the coverage for region "<region>" gives the anticipated coverage date 2027-03-01
    And the coverage for region "<region>" reports the table 3 variant "<dcc13>" or "<dcc20>"
    And every WAN technology reported for a table 3 region is a table 3 value of that region

    Examples:
      | given         | dcc13         | dcc20         | region  |
      | Cellular      | Cellular      | Cellular      | South   |
      | Cellular+Mesh | Cellular+Mesh | Cellular+Mesh | Central |
      | 420           | Standard 420  | 420           | North   |

  @clause:MP081-CHISM-E3-T3 @clause:MP081-CHISM-E3-SPACE
  Scenario: Every answer for the premises the statement declares holds table 3 values of its regions (over DUIS alone)
    When the user requests the WAN matrix for every coverage address the implementation statement declares
    Then every WAN technology reported for a table 3 region is a table 3 value of that region
    And every unconfirmed WAN variant " " comes with an availability date, in South or Central
