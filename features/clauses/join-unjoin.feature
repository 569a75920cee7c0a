@level:story
Feature: Joins in the Smart Metering Inventory and Unjoin validation (DP178, MP178)

  Background:
    Given the standard estate

  @clause:DP178-SMI-JOIN @srv:8.7.2
  Scenario: The inventory records a join from the device's response
    When the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the CAD joined to the ESME
    And the ESME itself holds the join with the CAD

  @clause:DP178-SMI-JOIN @srv:8.7.2
  Scenario: A join response lost on its way to the DSP leaves the inventory without the join
    Given the ESME's next response will be lost on its way to the DCC
    When the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives with code E21
    And the inventory records no join of the CAD to the ESME
    And the ESME itself holds the join with the CAD

  @clause:DP178-REJOIN @srv:8.7.2
  Scenario: A meter that rejects a re-sent Join leaves the inventory without the join
    Given the ESME's next response will be lost on its way to the DCC
    And the ESME rejects a Join it already holds
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records no join of the CAD to the ESME

  @clause:DP178-E080801 @srv:8.8.2 @release:before-2024-06
  Scenario: Before June 2024 an Unjoin without a join in the inventory is refused with E080801
    When the user unjoins the CAD from the ESME
    Then the response code is E080801

  @clause:MP178-UNJOIN @srv:8.8.2 @release:from-2024-06
  Scenario: From June 2024 an Unjoin goes to the device whatever the inventory says
    When the user unjoins the CAD from the ESME
    Then the response code is I99
    And the device response arrives with code I0

  @clause:DP178-SMI-JOIN @clause:DP178-REJOIN @clause:DP178-E080801 @srv:8.7.2 @srv:8.8.2 @release:before-2024-06
  Scenario: The installer's story before June 2024: lost join, rejected retry, refused unjoin
    Given the ESME's next response will be lost on its way to the DCC
    And the ESME rejects a Join it already holds
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    And the user unjoins the CAD from the ESME
    Then the response code is E080801
    And the inventory records no join of the CAD to the ESME
    And the ESME itself holds the join with the CAD

  @clause:DP178-SMI-JOIN @clause:DP178-REJOIN @clause:MP178-UNJOIN @srv:8.7.2 @srv:8.8.2 @release:from-2024-06
  Scenario: The installer's story from June 2024: the unjoin goes through
    Given the ESME's next response will be lost on its way to the DCC
    And the ESME rejects a Join it already holds
    When the user joins the CAD to the ESME
    And the user joins the CAD to the ESME
    And the user unjoins the CAD from the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the ESME itself no longer holds the join with the CAD
